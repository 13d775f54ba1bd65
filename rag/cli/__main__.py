from rag.cli import entry

entry()
