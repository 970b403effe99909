"""Figures for the report, returned as PNG bytes (embedded in the HTML, written beside the markdown)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no display on servers and CI
import matplotlib.pyplot as plt  # noqa: E402

from rag_vs_ft.evaluation.columns import columns  # noqa: E402



def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _err(s: dict, m: str) -> tuple[float, float]:
    ci = s.get("ci", {}).get(m)
    # clamped: a statistic that every stratified resample reproduces (a floor's headline) can land a rounding error
    # outside its own interval, and matplotlib refuses a negative error bar
    return (max(0.0, s[m] - ci[0]), max(0.0, ci[1] - s[m])) if ci else (0.0, 0.0)


def metric_bars(summaries: dict[str, dict]) -> bytes:
    """Each metric per arm, with its 95 % bootstrap interval as an error bar."""
    arms = list(summaries)
    metrics = [c.name for c in columns() if c.plotted and all(summaries[a].get(c.name) is not None for a in arms)]
    fig, ax = plt.subplots(figsize=(9, 3.8))
    width = 0.8 / max(1, len(arms))
    low, high = 0.0, 1.0  # shares and rates; a chance-corrected headline can go below 0, a plug-in above 1
    for i, arm in enumerate(arms):
        xs = [j + i * width for j in range(len(metrics))]
        errs = list(zip(*(_err(summaries[arm], m) for m in metrics)))
        values = [summaries[arm][m] for m in metrics]
        ax.bar(xs, values, width, yerr=errs, capsize=2, label=arm)
        if metrics:
            low = min(low, *(v - e for v, e in zip(values, errs[0])))
            high = max(high, *(v + e for v, e in zip(values, errs[1])))
    ax.set_xticks([j + width * (len(arms) - 1) / 2 for j in range(len(metrics))],
                  [m.replace("_rate", "").replace("_", " ") for m in metrics], fontsize=8)
    ax.set_ylim(low, high)
    ax.set_ylabel("mean over test questions (95% CI)")
    ax.legend(ncols=len(arms), fontsize=8, loc="upper center", bbox_to_anchor=(0.5, 1.15))
    ax.grid(axis="y", alpha=0.3)
    return _png(fig)


def quality_vs_latency(summaries: dict[str, dict], profile_scores: dict[str, float]) -> bytes:
    """Candidates as points with their profile score; floors and the ceiling as horizontal lines to beat/reach."""
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for arm, s in summaries.items():
        if arm not in profile_scores:  # a reference row: its latency means nothing, its score is the line
            ax.axhline(s["headline"], ls=":", lw=1, color="grey")
            ax.annotate(arm, (0, s["headline"]), xycoords=("axes fraction", "data"), fontsize=7, color="grey",
                        textcoords="offset points", xytext=(2, 2))
            continue
        lo, hi = _err(s, "headline")
        ax.errorbar(s["latency_p50_s"], s["headline"], yerr=[[lo], [hi]], fmt="o", capsize=3)
        ax.annotate(f"{arm} ({profile_scores[arm]:.2f})", (s["latency_p50_s"], s["headline"]),
                    textcoords="offset points", xytext=(6, 4), fontsize=8)
    ax.set_xlabel("p50 latency per answer (s)")
    ax.set_ylabel("correct answers, headline (95% CI)")
    ax.set_title("label: profile score", fontsize=8)
    ax.grid(alpha=0.3)
    return _png(fig)


def loss_curves(curves: dict[str, tuple[list, list]]) -> bytes:
    """Train (per step) and dev loss of every fine-tuning seed."""
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    for i, (label, (train, dev)) in enumerate(curves.items()):
        color = f"C{i}"
        if train:
            ax.plot([s for s, _ in train], [v for _, v in train], color=color, alpha=0.6, label=f"{label} train")
        if dev:
            ax.plot([s for s, _ in dev], [v for _, v in dev], "o--", color=color, label=f"{label} dev")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return _png(fig)


def across_runs(runs: list[str], headlines: dict[str, list[tuple[float, float, float] | None]]) -> bytes:
    """Each arm's headline (with its 95 % interval) in each run, runs in the order given: where one approach
    overtakes another as the model, the chunking or the corpus changes."""
    fig, ax = plt.subplots(figsize=(7, 3.8))
    xs = list(range(len(runs)))
    for i, (arm, points) in enumerate(headlines.items()):
        shift = (i - (len(headlines) - 1) / 2) * 0.04  # overlapping intervals stay readable
        at = [(x + shift, p) for x, p in zip(xs, points) if p is not None]
        if not at:
            continue
        ax.errorbar([x for x, _ in at], [p[0] for _, p in at],
                    yerr=[[max(0.0, p[0] - p[1]) for _, p in at], [max(0.0, p[2] - p[0]) for _, p in at]],
                    fmt="o-", capsize=3, label=arm, color=f"C{i % 10}")
    ax.set_xticks(xs, runs, fontsize=8, rotation=15)
    ax.set_ylabel("correct answers, headline (95% CI)")
    ax.legend(fontsize=7, ncols=4, loc="upper center", bbox_to_anchor=(0.5, 1.2))
    ax.grid(alpha=0.3)
    return _png(fig)
