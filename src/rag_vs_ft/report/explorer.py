"""The question explorer of report.html: every test question with every arm's answer, its decision and diagnosis,
the reference, the gold evidence and the chunks each retrieval arm read — filtered in the page, offline.

The data is one JSON block the browser never executes (every `<`, `>` and `&` escaped, so no text can close it);
the one script that reads it is shipped with the package and allowed by its hash in the page's
Content-Security-Policy, and it writes every piece of data with `textContent`, never as markup.
"""

from __future__ import annotations

import base64
import hashlib
import json
from importlib import resources

from rag_vs_ft.evaluation.diagnosis import ROW_CLASSES, row_class


def _asset(name: str) -> str:
    return resources.files("rag_vs_ft.report").joinpath("assets", name).read_text(encoding="utf-8")


def explorer_data(rows: list[dict], specs: dict[str, dict], arms: list[str]) -> dict:
    """The explorer's data from the compared rows (one per arm and question): arms in report order; chunk texts
    stored once and referred to by index (the retrieval arms and the gold evidence share most of them)."""
    chunk_ids: dict[str, int] = {}

    def chunk(text: str) -> int:
        return chunk_ids.setdefault(text, len(chunk_ids))

    ceiling = next((a for a in arms if specs.get(a, {}).get("role") == "ceiling"
                    and specs[a].get("uses_retrieval")), None)
    questions: dict[str, dict] = {}
    for r in rows:
        q = questions.setdefault(r["question_id"], {
            "id": r["question_id"], "kind": r.get("kind", ""), "q": r["question"], "ref": r["reference"],
            "answerable": bool(r["answerable"]), "gold": list(r.get("doc_ids", [])), "evidence": [], "by": {}})
        uses_retrieval = bool(specs.get(r["arm"], {}).get("uses_retrieval"))
        ids = r.get("context_ids") or []
        read = [[chunk(t), bool(ids) and i < len(ids) and ids[i] in q["gold"]]
                for i, t in enumerate(r.get("contexts") or [])]
        if r["arm"] == ceiling:
            q["evidence"] = [c for c, _ in read]
        q["by"][r["arm"]] = {"answer": r["answer"], "correct": bool(r["correct"]), "credit": round(r["credit"], 3),
                             "class": row_class(r, uses_retrieval), "read": read,
                             "retrieved": list(r.get("retrieved_ids") or [])}
    return {"arms": [{"name": a, "role": specs.get(a, {}).get("role", "candidate"),
                      "retrieval": bool(specs.get(a, {}).get("uses_retrieval"))} for a in arms],
            "kinds": sorted({q["kind"] for q in questions.values()}), "classes": list(ROW_CLASSES),
            "chunks": list(chunk_ids), "questions": list(questions.values())}


def _inert_json(data: dict) -> str:
    """JSON that stays data inside <script type="application/json">: no `</script>`, no `<!--`, no entity."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def script_hash(script: str) -> str:
    """The CSP source that allows exactly this inline script."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"


def explorer_html(data: dict) -> tuple[str, str]:
    """(the explorer's HTML: its data, its controls and its script; the CSP source allowing the script)."""
    script = _asset("explorer.js")
    html = (f'<section id="explorer"><h2>Question explorer</h2>'
            f'<style>{_asset("explorer.css")}</style>'
            f'<script type="application/json" id="explorer-data">{_inert_json(data)}</script>'
            f'<noscript>The explorer needs JavaScript; results.jsonl holds the same rows.</noscript>'
            f'<div id="explorer-app"></div><script>{script}</script></section>\n')
    return html, script_hash(script)
