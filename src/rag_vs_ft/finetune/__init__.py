"""QLoRA fine-tuning: training data from the corpus, the training recipe, the cached adapter."""
