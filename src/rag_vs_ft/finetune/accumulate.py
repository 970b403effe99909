"""One optimizer step's gradient in several forward/backward passes (gradient accumulation), for memory.

Activation memory grows with the tokens of one pass (about 5 MB per token for the 135M model in fp32: activations
and logits over a 49k vocabulary), so a step of 4 rows x 256 tokens in one pass peaks near 5 GB. Split into
passes of at most `max_tokens`, each pass's mean loss weighted by its share of the step's answer tokens, the
summed gradient is the gradient of the mean over the whole step: the same step (up to float rounding), a
fraction of the memory. A single row longer than `max_tokens` (a RAFT prompt with its documents) cannot be split:
its pass runs with activation checkpointing (each decoder layer's activations recomputed in the backward pass
instead of kept), which costs about one more forward pass of that row and keeps its memory near a short row's.
The data-parallel path (finetune.distributed) weights its shards the same way.
"""

from __future__ import annotations

import contextlib
from typing import Callable

import torch

from rag_vs_ft.finetune.distributed import answer_tokens


def passes(batch: list, max_tokens: int | None) -> list[list]:
    """Consecutive groups of the step's rows, each at most `max_tokens` tokens (a longer row alone)."""
    if max_tokens is None:
        return [batch]
    groups, current, size = [], [], 0
    for row in batch:
        n = len(row.input_ids)
        if current and size + n > max_tokens:
            groups.append(current)
            current, size = [], 0
        current.append(row)
        size += n
    return groups + [current] if current else groups


@contextlib.contextmanager
def checkpointing(model, on: bool):
    """Activation checkpointing of every decoder layer (transformers' GradientCheckpointingLayer) for one pass."""
    from transformers.modeling_layers import GradientCheckpointingLayer

    layers = [m for m in model.modules() if isinstance(m, GradientCheckpointingLayer)] if on else []
    if layers and not getattr(model, "_rvf_checkpoint_ready", False):
        base = model.get_base_model() if hasattr(model, "get_base_model") else model
        base.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        for m in layers:
            m.gradient_checkpointing = False
        model._rvf_checkpoint_ready = True
    for m in layers:
        m.gradient_checkpointing = True
    try:
        yield
    finally:
        for m in layers:
            m.gradient_checkpointing = False


def accumulate_step(model, batch: list, max_tokens: int | None, pad_id: int, device, loss_fn: Callable,
                    collate_fn: Callable) -> torch.Tensor:
    """Backward of the step's mean answer loss, pass by pass; returns that loss (what one pass would log).
    loss_fn/collate_fn are qlora.answer_loss/data.collate, passed in to keep this module free of them."""
    groups = passes(batch, max_tokens)
    collated = [{k: v.to(device) for k, v in collate_fn(group, pad_id).items()} for group in groups]
    counts = [answer_tokens(b["labels"]) for b in collated]
    total, logged = max(1, sum(counts)), 0.0
    for group, b, n in zip(groups, collated, counts):
        if n == 0 and len(collated) > 1:
            continue  # no answer token: nothing to learn from, and a mean over none is NaN
        too_long = max_tokens is not None and sum(len(r.input_ids) for r in group) > max_tokens  # one long row
        with checkpointing(model, too_long):
            loss = loss_fn(model, b) * (n / total if len(collated) > 1 else 1.0)
            loss.backward()
        logged += float(loss.detach())
    return torch.tensor(logged)
