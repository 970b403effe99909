"""A run.json with only its required fields, for the tests of the run record and of re-rendering (test modules
do not import each other: pytest runs in importlib mode, so shared helpers sit at tests/ root)."""

import json

from rag_vs_ft.config import RunConfig


def minimal_record() -> dict:
    """run.json with every required field and no optional one (JSON values, as read from disk)."""
    return {
        "config": json.loads(RunConfig().model_dump_json()), "config_hash": "abc123", "device": "cpu",
        "dtype": "float32", "machine": {"cpu": "test"}, "packages": {"torch": "2.0"},
        "started": "2026-01-01T10:00:00", "finished": "2026-01-01T11:00:00", "primary_seed": 0,
        "arms": {"rag": {"role": "candidate", "summary": "retrieval + base model", "uses_retrieval": True},
                 "majority": {"role": "floor", "summary": "most common answer", "uses_model": False}},
        "corpus": {"documents": 3, "characters": 1200, "questions": {"train": 7, "dev": 1, "test": 2},
                   "evaluated": 2, "test_questions_in_documents": 0, "hash": "c0ffee",
                   "sources": [{"package": "p", "version": "1", "sha256": "00"}]},
        "model": {"name": "m"}, "memory_estimate": [{"arm": "rag", "mb": 1.0}], "index": {"chunks": 4},
        "retrieval": {"mode": "bm25", "top_k": 3}, "freshness": {"share": 0.1, "documents": ["d2"], "questions": 1,
                                                                  "train_questions_dropped": 0},
        "answering": {"rag": {"seconds": 1.5}}, "timings_s": {"answer:rag": 1.5},
    }
