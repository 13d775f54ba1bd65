"""`rag finetune`: training data from the code graph (and git history), a LoRA adapter for the LLM, a tuned embedder."""
