"""Loading the generator and embedder: the embedded offline defaults or any HF id / local path."""
