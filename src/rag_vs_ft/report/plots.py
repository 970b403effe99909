"""Figures for the report, returned as PNG bytes (embedded in the HTML, written beside the markdown)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no display on servers and CI
import matplotlib.pyplot as plt  # noqa: E402

BAR_METRICS = ("exact_match", "token_f1", "rouge_l", "semantic_similarity")


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def metric_bars(summaries: dict[str, dict]) -> bytes:
    arms = list(summaries)
    metrics = [m for m in BAR_METRICS if all(summaries[a].get(m) is not None for a in arms)]
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    width = 0.8 / max(1, len(arms))
    for i, arm in enumerate(arms):
        xs = [j + i * width for j in range(len(metrics))]
        ax.bar(xs, [summaries[arm][m] for m in metrics], width, label=arm)
    ax.set_xticks([j + width * (len(arms) - 1) / 2 for j in range(len(metrics))], [m.replace("_", " ") for m in metrics])
    ax.set_ylim(0, 1)
    ax.set_ylabel("mean over test questions")
    ax.legend(ncols=len(arms), fontsize=8, loc="upper center", bbox_to_anchor=(0.5, 1.15))
    ax.grid(axis="y", alpha=0.3)
    return _png(fig)


def quality_vs_latency(summaries: dict[str, dict], score: dict[str, float]) -> bytes:
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for arm, s in summaries.items():
        ax.scatter(s["latency_p50_s"], score[arm], s=60)
        ax.annotate(arm, (s["latency_p50_s"], score[arm]), textcoords="offset points", xytext=(6, 4), fontsize=9)
    ax.set_xlabel("p50 latency per answer (s)")
    ax.set_ylabel("answer score (mean of EM and F1)")
    ax.grid(alpha=0.3)
    return _png(fig)


def loss_curve(train_loss: list, dev_loss: list) -> bytes:
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    if train_loss:
        ax.plot([s for s, _ in train_loss], [v for _, v in train_loss], label="train (per step)", alpha=0.8)
    if dev_loss:
        ax.plot([s for s, _ in dev_loss], [v for _, v in dev_loss], "o-", label="dev (answer tokens)")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss")
    ax.legend()
    ax.grid(alpha=0.3)
    return _png(fig)
