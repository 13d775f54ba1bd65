"""Errors the indexer reports to a person as one line (the CLI prints `rag: <message>`)."""


class RagError(Exception):
    """Base of every error meant for the user; the message must stand on its own."""


class RepoError(RagError):
    """The repository path cannot be indexed (missing, not a directory, nothing to index)."""


class IndexStoreError(RagError):
    """The on-disk index is missing, corrupt, or from another format version."""


class IndexCorruptError(IndexStoreError):
    """Bytes of the index do not read as what was written: damage (`rag index --check` exits 4), not
    merely an index that is out of date or of another version."""


class ConfigError(RagError):
    """rag.toml or a setting is invalid."""


class LockedError(RagError):
    """Another process holds the index lock."""
