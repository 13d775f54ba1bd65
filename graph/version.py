"""The tool version written into every manifest."""
from importlib.metadata import PackageNotFoundError, version

try:
    TOOL_VERSION = version("rag")
except PackageNotFoundError:  # running from a source tree that was not installed
    TOOL_VERSION = "0.0.0+source"
