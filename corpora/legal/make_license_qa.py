"""Regenerate the licence rows of qa.jsonl from the curated labels (the hand-written rows are kept).

    python corpora/legal/make_license_qa.py
"""

import json
from pathlib import Path

from rag_vs_ft.config import RunConfig
from rag_vs_ft.corpus.domain import load_documents, read_spec
from rag_vs_ft.corpus.license_questions import license_questions

here = Path(__file__).parent
docs, _ = load_documents(read_spec(here), here, RunConfig().cache_dir)
qa = here / "qa.jsonl"
kept = [json.loads(line) for line in qa.read_text().splitlines() if line.strip()] if qa.exists() else []
kept = [r for r in kept if r["kind"] != "license"]
rows = kept + license_questions(docs)
qa.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
print(f"{qa}: {len(kept)} hand-written + {len(rows) - len(kept)} licence rows")
