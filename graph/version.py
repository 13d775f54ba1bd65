"""The tool version, written into every manifest; pyproject.toml reads it from here.

A literal rather than importlib.metadata: that import costs ~15 ms of every command, and a source
tree then knows its own version whether it was installed or not.
"""
TOOL_VERSION = "0.1.53"
