"""Generator backends: one module each (hf, …) behind the registry in `registry.py`."""
