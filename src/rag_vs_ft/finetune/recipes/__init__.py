"""Fine-tuning recipes: one module each (closed_book, raft, …) behind the registry in `registry.py`."""
