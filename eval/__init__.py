"""Batch evaluation: labeled queries in, every method side by side out (`rag eval`)."""
