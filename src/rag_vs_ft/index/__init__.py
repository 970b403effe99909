"""Retrieval index: split documents, embed the chunks, search them with faiss."""
