"""Write a run's report files: results.jsonl, run.json, report.md (+ PNGs) and a self-contained report.html.

Every file goes to a temporary name first and is renamed into place, so an interrupted run never leaves a
half-written report. `rerender` rebuilds the report from a run's saved results alone.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from rag_vs_ft.evaluation.harness import summarize
from rag_vs_ft.report import plots
from rag_vs_ft.report.recommend import recommend
from rag_vs_ft.store import atomic_write_json, atomic_write_text, read_jsonl

ARM_ORDER = ("prompt", "rag", "finetune", "finetune_rag")
TABLE_METRICS = [("exact_match", "EM"), ("token_f1", "F1"), ("rouge_l", "ROUGE-L"),
                 ("string_similarity", "string sim."), ("semantic_similarity", "semantic sim."),
                 ("context_recall", "ctx recall"), ("context_precision", "ctx precision"),
                 ("refusal_rate_unanswerable", "refusal (unans.)"), ("wrong_refusal_rate", "wrong refusal")]
COST_METRICS = [("latency_p50_s", "p50 latency s"), ("latency_p95_s", "p95 latency s"),
                ("answers_per_s", "answers/s"), ("prompt_tokens_mean", "prompt tok"),
                ("generated_tokens_mean", "gen. tok")]


def _fmt(v, digits: int = 3) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def build_context(rows: list[dict], meta: dict) -> dict:
    summaries = summarize(rows)
    arms = [a for a in ARM_ORDER if a in summaries] + [a for a in summaries if a not in ARM_ORDER]
    summaries = {a: summaries[a] for a in arms}
    rec = recommend(rows, summaries, seed=meta.get("config", {}).get("seed", 0))
    scores = dict(rec.ranking)
    training = meta.get("finetune")
    notes = []
    if training and training.get("note"):
        notes.append(f"Fine-tuning fallback: {training['note']}.")
    if training and training["epochs_done"] < 1:
        notes.append(f"The fine-tune saw {training['examples_seen']} of {training['examples_total']} training examples "
                     f"({training['epochs_done']:.0%} of one epoch) in {training['steps']} steps: raise "
                     "finetune.max_steps (or set it to null) for a full epoch.")
    machine = meta.get("machine", {})
    machine_line = (f"{machine.get('cpu_model', machine.get('processor', '?'))}, {machine.get('cpu_count')} cores, "
                    f"{machine.get('memory_gb', '?')} GiB RAM, GPU: {machine.get('cuda') or 'none'}")
    examples = []
    by_q: dict[str, dict[str, dict]] = {}
    for r in rows:
        by_q.setdefault(r["question_id"], {})[r["arm"]] = r
    for qid in list(by_q)[:4]:
        first = next(iter(by_q[qid].values()))
        examples.append({"question": first["question"], "reference": first["reference"],
                         "answers": [(a, by_q[qid][a]["answer"]) for a in arms if a in by_q[qid]]})
    kinds = sorted({k for s in summaries.values() for k in s["by_kind"]})
    return {"meta": meta, "summaries": summaries, "arms": arms, "rec": rec, "scores": scores, "notes": notes,
            "machine_line": machine_line, "training": training, "examples": examples, "kinds": kinds,
            "table_metrics": TABLE_METRICS, "cost_metrics": COST_METRICS, "fmt": _fmt, "n_rows": len(rows)}


def _env() -> Environment:
    return Environment(loader=PackageLoader("rag_vs_ft.report", "templates"), undefined=StrictUndefined,
                       autoescape=False, trim_blocks=True, lstrip_blocks=True)


def _figures(ctx: dict) -> dict[str, bytes]:
    figs = {"metrics.png": plots.metric_bars(ctx["summaries"]),
            "quality_vs_latency.png": plots.quality_vs_latency(ctx["summaries"], ctx["scores"])}
    t = ctx["training"]
    if t and (t.get("train_loss") or t.get("dev_loss")):
        figs["loss_curve.png"] = plots.loss_curve(t.get("train_loss", []), t.get("dev_loss", []))
    return figs


def write_report(run_dir: Path, rows: list[dict], meta: dict, few_shot: list[str] | None = None) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    if few_shot is not None:
        meta["few_shot_ids"] = few_shot
    atomic_write_text(run_dir / "results.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    atomic_write_json(run_dir / "run.json", meta)
    render(run_dir, rows, meta)


def render(run_dir: Path, rows: list[dict], meta: dict) -> None:
    ctx = build_context(rows, meta)
    figs = _figures(ctx)
    for name, png in figs.items():
        tmp = run_dir / f".{name}.tmp"
        tmp.write_bytes(png)
        tmp.replace(run_dir / name)
    env = _env()
    atomic_write_text(run_dir / "report.md", env.get_template("report.md.j2").render(**ctx, figures=list(figs)))
    inline = {name: "data:image/png;base64," + base64.b64encode(png).decode() for name, png in figs.items()}
    atomic_write_text(run_dir / "report.html", env.get_template("report.html.j2").render(**ctx, figures=inline))


class ReportError(ValueError):
    """The directory is not a finished run."""


def rerender(run_dir: Path) -> None:
    if not (run_dir / "results.jsonl").exists() or not (run_dir / "run.json").exists():
        raise ReportError(f"{run_dir} is not a run directory (needs results.jsonl and run.json)")
    rows = read_jsonl(run_dir / "results.jsonl")
    if not rows:
        raise ReportError(f"{run_dir / 'results.jsonl'} holds no results")
    render(run_dir, rows, json.loads((run_dir / "run.json").read_text()))

