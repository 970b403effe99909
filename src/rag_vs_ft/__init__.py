"""rag-vs-ft: compare prompting, RAG, QLoRA fine-tuning and fine-tune+RAG on your own corpus, offline."""

__version__ = "0.1.0"
