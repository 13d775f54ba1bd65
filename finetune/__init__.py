"""LoRA fine-tuning (issue 6): not built yet."""
