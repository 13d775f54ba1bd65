"""The LLM stage: the prompt, the local model and its runtimes, scoring candidates, adapters."""
