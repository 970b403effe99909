"""`rag-vs-ft compare RUN_DIR...`: several runs on one page (compare.md + compare.html + a plot): per run what
was run, each arm's headline with its interval, the floors, the ceiling and the verdict.

Runs are comparable only on the same test questions: an arm's headline moves by several points between two
question sets of one corpus, so a comparison across different sets would show the sets, not the settings. The
check compares question ids and texts; `anyway` turns the refusal into a warning on the page.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from rag_vs_ft.evaluation.harness import with_correctness
from rag_vs_ft.report import plots
from rag_vs_ft.report.context import build_context, fmt, fmt_ci
from rag_vs_ft.report.record import RunRecord
from rag_vs_ft.report.render import ReportError, md_text, to_html
from rag_vs_ft.store import atomic_write_text, read_jsonl

# The settings that tell runs apart, as (label, dotted config key).
SETTINGS = [("model", "model.name"), ("dtype", "model.dtype"), ("backend", "model.backend"),
            ("retrieval mode", "retrieval.mode"), ("chunk size", "retrieval.chunk_size"), ("top k", "retrieval.top_k"),
            ("LoRA rank", "finetune.lora_r"), ("learning rate", "finetune.learning_rate"),
            ("epochs", "finetune.epochs"), ("fine-tune seeds", "finetune.seeds"), ("seed", "seed"), ("eval limit", "eval.limit")]


class CompareError(ReportError):
    """The runs cannot be compared as asked."""


@dataclass
class LoadedRun:
    path: Path
    label: str
    meta: RunRecord
    ctx: dict
    questions: str  # hash of the test questions' ids and texts


def _get(cfg: dict, dotted: str):
    for part in dotted.split("."):
        cfg = cfg.get(part, {}) if isinstance(cfg, dict) else {}
    return None if cfg == {} else cfg


def load_run(path: Path) -> LoadedRun:
    from rag_vs_ft.report.user_labels import read_labels

    if not (path / "results.jsonl").exists() or not (path / "run.json").exists():
        raise CompareError(f"{path} is not a run directory (needs results.jsonl and run.json)")
    rows = read_jsonl(path / "results.jsonl")
    try:
        meta = RunRecord.model_validate_json((path / "run.json").read_text())
    except ValueError:
        raise CompareError(f"{path / 'run.json'} does not match this rag-vs-ft's run record: re-run its command "
                           "(cached answers are reused) to bring it up to date") from None
    if not rows:
        raise CompareError(f"{path / 'results.jsonl'} holds no results")
    ctx = build_context(rows, meta, read_labels(path))
    asked = sorted({(r["question_id"], r["question"]) for r in with_correctness(ctx["main"])})
    digest = hashlib.sha256(repr(asked).encode()).hexdigest()[:12]
    label = f"{meta.config.get('domain', '?')}/{path.name}"
    return LoadedRun(path, label, meta, ctx, digest)


def comparison_context(runs: list[LoadedRun], anyway: bool) -> dict:
    """What the page shows; raises CompareError when the runs asked different questions, unless `anyway`."""
    if len(runs) < 2:
        raise CompareError("compare needs at least two run directories")
    if len({r.label for r in runs}) < len(runs):  # two runs of one name in different folders: number them
        for i, r in enumerate(runs, 1):
            r.label = f"{i}: {r.label}"
    sets = {r.questions for r in runs}
    if len(sets) > 1 and not anyway:
        groups = ", ".join(f"{r.label} → {r.questions}" for r in runs)
        raise CompareError(f"the runs answered different test questions ({groups}): their scores differ by the "
                           "questions as much as by the settings; pass --anyway to compare them regardless")
    arms = list(dict.fromkeys(a for r in runs for a in r.ctx["arms"]))
    roles = {a: next(r.ctx["roles"][a] for r in runs if a in r.ctx["roles"]) for a in arms}
    settings = [(label, [_get(r.meta.config, key) for r in runs]) for label, key in SETTINGS]
    return {"runs": runs, "arms": arms, "roles": roles, "same_questions": len(sets) == 1,
            "settings": settings, "differing": [label for label, values in settings if len(set(map(str, values))) > 1],
            "fmt": fmt, "fmt_ci": fmt_ci}


def headline_points(runs: list[LoadedRun], arms: list[str]) -> dict[str, list]:
    out = {}
    for a in arms:
        points = []
        for r in runs:
            s = r.ctx["summaries"].get(a)
            ci = s and s.get("ci", {}).get("headline")
            points.append((s["headline"], ci[0], ci[1]) if s and ci else (s["headline"],) * 3 if s else None)
        out[a] = points
    return out


def write_comparison(paths: list[Path], out_dir: Path, anyway: bool = False) -> Path:
    """compare.md, compare.html and compare.png in `out_dir`; returns the html's path."""
    runs = [load_run(p) for p in paths]
    ctx = comparison_context(runs, anyway)
    png = plots.across_runs([r.label for r in runs], headline_points(runs, ctx["arms"]))
    env = Environment(loader=PackageLoader("rag_vs_ft.report", "templates"), undefined=StrictUndefined,
                      autoescape=False, trim_blocks=True, lstrip_blocks=True)
    env.filters["md"] = md_text
    markdown = env.get_template("compare.md.j2").render(**ctx)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "compare.png").write_bytes(png)
    atomic_write_text(out_dir / "compare.md", markdown)
    atomic_write_text(out_dir / "compare.html", to_html(markdown, "rag-vs-ft comparison", {"compare.png": png}))
    return out_dir / "compare.html"
