"""rag: which module of this repository handles X? (local, offline)."""
