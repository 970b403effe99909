"""Data-parallel fine-tuning across processes started by torchrun (`torchrun --nproc_per_node N ...`).

Every rank holds the whole (small) LoRA model and walks the same global batches in the same order; each takes
its slice of every global batch, and the gradients are summed with weights so that the step equals the
one-process step on the whole global batch (see `average_gradients`). Launcher trap (accelerate/commands/
launch.py): `accelerate launch --cpu --num_processes 2` goes to the simple launcher and starts ONE process; on
CPU use torchrun (gloo). With WORLD_SIZE unset none of this runs and training is the plain one-process loop.
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist


def world() -> tuple[int, int]:
    """(rank, world size) from the variables torchrun sets; (0, 1) when not launched by it."""
    return int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))


def local_rank() -> int:
    return int(os.environ.get("LOCAL_RANK", "0"))


def init_if_launched() -> tuple[int, int]:
    """Join the process group when torchrun started several processes (env:// reads MASTER_ADDR/PORT, RANK,
    WORLD_SIZE); a no-op otherwise, so one-process training never touches torch.distributed."""
    rank, size = world()
    if size > 1 and not dist.is_initialized():
        if torch.cuda.is_available():
            torch.cuda.set_device(local_rank())  # nccl needs each rank on its own device before the first op
            dist.init_process_group("nccl", init_method="env://")
        else:
            dist.init_process_group("gloo", init_method="env://")
    return rank, size


def is_main() -> bool:
    """Rank 0 alone writes checkpoints and the adapter (every rank holds the same weights)."""
    return world()[0] == 0


def shard(examples: list, rank: int, size: int) -> list:
    """This rank's contiguous slice of one global batch; the slices partition it (the first len % size ranks
    take one more). A rank may get nothing when the batch is smaller than the world."""
    base, extra = divmod(len(examples), size)
    start = rank * base + min(rank, extra)
    return examples[start:start + base + (1 if rank < extra else 0)]


def answer_tokens(labels: torch.Tensor) -> int:
    """Tokens the loss is averaged over: labels shifted by one, -100 excluded (as qlora.answer_loss does)."""
    return int((labels[:, 1:] != -100).sum())


def token_weight(local_tokens: int, device) -> float:
    """This rank's share of the global batch's answer tokens. answer_loss is a mean over the shard's tokens, so
    sum_r share_r * grad(mean_r) = grad(mean over the whole global batch): the one-process gradient."""
    total = torch.tensor([float(local_tokens)], dtype=torch.float64, device=device)
    dist.all_reduce(total, op=dist.ReduceOp.SUM)
    return local_tokens / max(1.0, float(total.item()))


def average_gradients(params: list[torch.nn.Parameter], weight: float) -> None:
    """Replace every grad by sum over ranks of grad * weight. One flat buffer (one collective, not one per
    tensor); a parameter without a grad (an empty shard) contributes zeros but still joins the collective."""
    flat = torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1) for p in params])
    flat.mul_(weight)
    dist.all_reduce(flat, op=dist.ReduceOp.SUM)  # bitwise identical on every rank (its docstring)
    offset = 0
    for p in params:
        n = p.numel()
        p.grad = flat[offset:offset + n].view_as(p).clone()
        offset += n


def global_mean(value: float, weight: float, device) -> float:
    """The global batch's loss from the shards' losses (same weights as the gradients), for logging."""
    t = torch.tensor([value * weight], dtype=torch.float64, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return float(t.item())


def backward_on_shard(model, batch_examples: list, params: list, pad_id: int, device, loss_fn,
                      collate_fn) -> torch.Tensor:
    """One step's forward/backward on this rank's shard of the global batch, gradients then combined so that
    every rank holds the one-process gradient; returns the global batch's loss (what one process would log).
    loss_fn/collate_fn are qlora.answer_loss/data.collate, passed in to keep this module free of them."""
    rank, size = world()
    mine = shard(batch_examples, rank, size)
    local_loss, local_tokens = 0.0, 0
    if mine:  # an empty shard still joins both collectives below, or the other ranks would wait for ever
        batch = {k: v.to(device) for k, v in collate_fn(mine, pad_id).items()}
        local_tokens = answer_tokens(batch["labels"])
        loss = loss_fn(model, batch)
        loss.backward()
        local_loss = loss.item()
    weight = token_weight(local_tokens, device)
    average_gradients(params, weight)
    return torch.tensor(global_mean(local_loss, weight, device))
