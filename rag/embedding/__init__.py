"""Sentence embedders: the bundled MiniLM (NumPy or torch runtime) and tuned ones."""
