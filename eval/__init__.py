"""Batch evaluation (issue 4): not built yet."""
