"""`rag serve`: warm engines behind the Model Context Protocol, kept fresh as files change.

workspace.py  the served repositories and the tools over them (plain dicts)
watch.py      a watcher per repository: re-index once edits settle
mcp_server.py the tools and resources as MCP, on the official SDK
door.py       the claim on each index, and the loopback door `rag ask` uses
"""
