"""Retrieval: from a question to ranked modules (tokens, BM25, embeddings, past changes, fusion)."""
