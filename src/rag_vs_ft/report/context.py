"""Everything the report shows, computed from a run's saved rows and run.json alone (so `report` can re-render)."""

from __future__ import annotations

from rag_vs_ft.evaluation.cost import usd
from rag_vs_ft.evaluation.columns import columns
from rag_vs_ft.evaluation.correctness import agreement
from rag_vs_ft.evaluation.diagnosis import diagnose
from rag_vs_ft.evaluation.labels import label_agreement
from rag_vs_ft.evaluation.harness import HEADLINE, percentile, summarize, with_correctness
from rag_vs_ft.evaluation.statistics import bootstrap_ci, spread
from rag_vs_ft.report.profiles import load_profile
from rag_vs_ft.report.dominance import SMALL_N
from rag_vs_ft.report.kinds import best_per_kind, kind_versus
from rag_vs_ft.report.recommend import power_line, recommend
from rag_vs_ft.report.record import RunRecord

CRITERIA_COLUMNS = ("quality", "groundedness", "refusal", "freshness", "latency", "cost")


def _num(v: float, digits: int) -> str:
    return f"{v:.{digits}f}" if abs(v) >= 10 ** -(digits + 3) else f"{0.0:.{digits}f}"  # no "-0.000" for chance


def fmt(v, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "–"
    return _num(v, digits) if isinstance(v, float) else str(v)


def fmt_ci(summary: dict, key: str, digits: int = 3) -> str:
    """'0.255 [0.201, 0.310]': a mean with its 95 % bootstrap interval over questions."""
    v, ci = summary.get(key), summary.get("ci", {}).get(key)
    if v is None:
        return "–"
    return f"{_num(v, digits)} [{_num(ci[0], digits)}, {_num(ci[1], digits)}]" if ci else fmt(v, digits)


def primary_rows(rows: list[dict], primary_seed) -> tuple[list[dict], list[dict]]:
    """Rows of the arms as compared (fine-tuned arms at the primary seed), and the other seeds' rows."""
    main = [r for r in rows if r.get("seed") in (None, primary_seed)]
    return main, [r for r in rows if r.get("seed") not in (None, primary_seed)]


def adapter_runs(meta: RunRecord) -> list[dict]:
    """Every trained adapter's record (a copy: the report labels each with the arm that answers with it)."""
    return [dict(r) for r in meta.adapters]


def recipe_of(spec: dict) -> str | None:
    return spec.get("recipe") if spec.get("tuned") else None


def undertrained_arms(runs: list[dict], spec: dict[str, dict]) -> list[str]:
    """Candidates whose own adapter (any seed) saw less than one epoch: they cannot be judged from the run."""
    short = {r["recipe"] for r in runs if r.get("epochs_done", 0.0) < 1.0}
    return [a for a, s in spec.items() if s["role"] == "candidate" and recipe_of(s) in short]


def setup_seconds(meta: RunRecord, arms: list[str], spec: dict[str, dict]) -> dict[str, float]:
    """One-off work before an arm can answer: building the index, training its adapter (mean over seeds)."""
    index_s = (meta.index.get("build_s") or 0.0) + meta.freshness.index_update_s
    runs = adapter_runs(meta)

    def train_s(arm: str) -> float:
        own = [r["seconds"] for r in runs if r["recipe"] == recipe_of(spec[arm])]
        return sum(own) / len(own) if own else 0.0

    return {a: (index_s if spec[a]["uses_retrieval"] else 0.0) + train_s(a) for a in arms}


def seed_table(rows: list[dict], seeds: list[int], resamples: int, seed: int, tuned: list[str]) -> list[dict]:
    out = []
    for arm in tuned:
        per_seed = {s: [r for r in rows if r["arm"] == arm and r.get("seed") == s] for s in seeds}
        if len([s for s, rs in per_seed.items() if rs]) < 2:
            continue
        summaries = {s: summarize([{**r, "arm": arm} for r in rs], resamples, seed)[arm]
                     for s, rs in per_seed.items() if rs}
        scores = [s[HEADLINE] for s in summaries.values()]
        first = next(iter(summaries.values()))
        out.append({"arm": arm, "seeds": summaries, "spread": spread(scores),
                    "question_ci_halfwidth": (first["ci"][HEADLINE][1] - first["ci"][HEADLINE][0]) / 2})
    return out


def freshness_table(rows: list[dict], arms: list[str], resamples: int = 2000) -> list[dict]:
    """Per arm: mean credit on the questions about updated documents and on the other answerable ones, each with
    its 95 % bootstrap interval (`fresh_ci`, `other_ci`: (low, high) or None)."""
    out = []
    for a in arms:
        fresh = [r["credit"] for r in rows if r["arm"] == a and r.get("fresh")]
        other = [r["credit"] for r in rows if r["arm"] == a and not r.get("fresh") and r["answerable"]]
        f, o = bootstrap_ci(fresh, resamples), bootstrap_ci(other, resamples)
        out.append({"arm": a, "fresh": f and f.mean, "fresh_ci": f and (f.low, f.high), "n_fresh": len(fresh),
                    "other": o and o.mean, "other_ci": o and (o.low, o.high), "n_other": len(other)})
    return out


def arm_summaries(main: list[dict], meta: RunRecord, resamples: int, seed: int) -> tuple[dict, dict]:
    """(summaries, specs) of every arm with rows, in registry order (an arm unknown to run.json last), with the
    per-request latency (batch 1) where it was measured: what a deployed arm's user waits."""
    summaries = summarize(main, resamples, seed)
    spec = {a: facts.model_dump() for a, facts in meta.arms.items()}  # registry order: candidates, floors, ceiling
    arms = [a for a in spec if a in summaries] + [a for a in summaries if a not in spec]
    spec = {**{a: {"role": "candidate", "uses_retrieval": False, "tuned": False, "complexity": 9} for a in arms},
            **spec}
    summaries = {a: summaries[a] for a in arms}
    for a in arms:
        measured = meta.answering.get(a, {}).get("request_latency_s")
        if measured:
            summaries[a].update(request_p50_s=percentile(measured, 50), request_p95_s=percentile(measured, 95),
                                request_n=len(measured))
    return summaries, spec


def training_notes(runs: list[dict], summaries: dict, meta: RunRecord) -> list[str]:
    """Fallbacks, adapters short of an epoch and tuned arms that learned to refuse, each said in a sentence."""
    notes = [f"Fine-tuning fallback ({r['arm']}): {r['note']}." for r in runs if r.get("note")]
    for r in runs:
        if r["epochs_done"] < 1:
            notes.append(f"The {r['arm']} adapter (seed {r['seed']}) saw {r['examples_seen']} of its "
                         f"{r['examples_total']} training examples ({r['epochs_done']:.0%} of one epoch) in "
                         f"{r['steps']} steps: raise finetune.max_steps (or set it to null) for a full epoch.")
    for r in runs:  # a tuned arm that answers almost nothing measures its tiny training set, not its approach
        rate = summaries.get(r["arm"], {}).get("wrong_refusal_rate")
        if r["seed"] == meta.primary_seed and rate is not None and rate > 0.5:
            ts = r.get("training_set") or {}
            refusals = ts.get("sources", {}).get("RAFT refusal")
            notes.append(f"{r['arm']} refused {rate:.0%} of the answerable questions: its adapter learned to refuse "
                         f"from {ts.get('examples', r['examples_total'])} training examples"
                         f"{' of ' + str(ts['available']) if ts.get('available') else ''}"
                         f"{', ' + str(refusals) + ' of them refusals' if refusals else ''}"
                         ". Read its scores as those of this budget, not of the approach: a larger "
                         "`finetune.max_tokens` (a GPU trains every example) gives it more to learn from.")
    if not meta.judge:
        notes.append("No LLM judge was configured, so every metric here is computed offline without an LLM "
                     "(a tiny local model is not a usable judge); set judge.base_url and judge.model to add "
                     "faithfulness and factual correctness from a judge.")
    return notes


def example_answers(main: list[dict], arms: list[str], n: int = 4) -> list[dict]:
    """The first n questions with every arm's answer side by side."""
    by_q: dict[str, dict[str, dict]] = {}
    for r in main:
        by_q.setdefault(r["question_id"], {})[r["arm"]] = r
    return [{"question": next(iter(v.values()))["question"], "reference": next(iter(v.values()))["reference"],
             "answers": [(a, v[a]["answer"]) for a in arms if a in v]} for v in list(by_q.values())[:n]]


def label_disagreements(main: list[dict], labels: dict) -> list[dict]:
    return [{**r, "decision": bool(r["correct"]), "label": labels[(r["arm"], r["question_id"])]} for r in main
            if (r["arm"], r["question_id"]) in labels and bool(r["correct"]) != labels[(r["arm"], r["question_id"])]]


def build_context(rows: list[dict], meta: RunRecord, labels: dict | None = None) -> dict:
    """Everything the report template shows, from the saved rows (re-judged by today's rules), the run record and
    the user's hand labels ((arm, question id) -> correct?), if any."""
    cfg = meta.config
    resamples, seed = cfg.get("eval", {}).get("bootstrap_resamples", 2000), cfg.get("seed", 0)
    rows = with_correctness(rows)
    main, extra = primary_rows(rows, meta.primary_seed)
    summaries, spec = arm_summaries(main, meta, resamples, seed)
    arms = list(summaries)
    price = cfg.get("cost", {}).get("usd_per_hour", 0.0)
    setup_s = setup_seconds(meta, arms, spec)
    setup_usd = {a: usd(s, price) for a, s in setup_s.items()}
    per_answer_usd = {a: usd(1 / summaries[a]["answers_per_s"], price) if summaries[a]["answers_per_s"] else 0.0
                      for a in arms}
    runs = adapter_runs(meta)
    rec = recommend(main, summaries, load_profile(cfg.get("eval", {}).get("profile", "default")), setup_usd,
                    per_answer_usd, seed=seed, resamples=resamples, arms=spec,
                    undertrained=undertrained_arms(runs, {a: spec[a] for a in arms}))
    cands = [a for a in arms if spec[a]["role"] == "candidate"]
    baseline = min(cands, key=lambda a: spec[a].get("complexity", 0), default=None)  # the simplest candidate
    arm_of = {recipe_of(spec[a]): a for a in reversed(arms) if recipe_of(spec[a])}
    for r in runs:
        r["arm"] = arm_of.get(r["recipe"], r["recipe"])
    machine, seeds = meta.machine, sorted({r["seed"] for r in runs})
    judged = [(r["correct"] > 0, r["judge_factual_correctness"] >= 0.5) for r in main
              if r.get("judge_factual_correctness") is not None]
    return {"meta": meta, "main": main, "summaries": summaries, "arms": arms, "rec": rec, "notes": training_notes(runs, summaries, meta),
            "training": runs[0] if runs else None, "examples": example_answers(main, arms), "n_rows": len(rows),
            "machine_line": f"{machine.get('cpu_model', machine.get('processor', '?'))}, {machine.get('cpu_count')} "
                            f"cores, {machine.get('memory_gb', '?')} GiB RAM, GPU: {machine.get('cuda') or 'none'}",
            "kinds": sorted({k for s in summaries.values() for k in s["by_kind"]}),
            "quality_columns": [(c.name, c.label) for c in columns("quality")],
            "grounding_columns": [(c.name, c.label) for c in columns("grounding")],
            "judge_columns": [(c.name, c.label) for c in columns("judge")
                              if any(summaries[a].get(c.name) is not None for a in arms)],
            "criteria_columns": CRITERIA_COLUMNS, "fmt": fmt, "fmt_ci": fmt_ci,
            "best_per_kind": best_per_kind([r for r in main if spec[r["arm"]]["role"] == "candidate"],
                                           {a: v["complexity"] for a, v in spec.items()}),
            "roles": {a: spec[a]["role"] for a in arms}, "arm_specs": spec, "extra_rows": len(extra),
            "seed_table": seed_table(rows, seeds, resamples, seed, [a for a in arms if spec[a]["tuned"]]),
            "seeds": seeds, "freshness": freshness_table(main, arms, resamples), "price": price,
            "cost_rows": [{"arm": a, "setup_s": setup_s[a], "setup_usd": setup_usd[a],
                           "usd_per_1k": per_answer_usd[a] * 1000,
                           "peak_memory_mb": meta.answering.get(a, {}).get("peak_memory_mb")} for a in arms],
            "runs": runs, "forgetting": meta.forgetting, "memory": meta.memory_estimate,
            "recipe_lines": [(a, meta.recipes.get(recipe_of(spec[a]), recipe_of(spec[a]))) for a in arms
                             if recipe_of(spec[a])],
            "diagnosis": diagnose(main, spec), "judge_agreement": agreement(judged),
            "labels": label_agreement(main, labels, resamples, seed) if labels else None,
            "label_disagreements": label_disagreements(main, labels or {}),
            "power_line": power_line(rec.pairwise, rec.n), "kind_baseline": baseline, "small_n": SMALL_N,
            "kind_versus": kind_versus(main, baseline, [a for a in cands if a != baseline], resamples, seed)}
