"""Measure what the defaults rest on: generation and QLoRA step speed of the embedded model, fp32 vs bf16.

    HF_HUB_OFFLINE=1 python benchmarks/generation_speed.py [--steps 3]

Prints one line per measurement; run it on the machine you care about (numbers differ a lot between CPUs:
bf16 only pays off with native bf16 matmul, see models.generator.cpu_has_fast_bf16).
"""

from __future__ import annotations

import argparse
import time

import torch

from rag_vs_ft.config import EMBEDDED_LLM, FinetuneConfig, RunConfig
from rag_vs_ft.finetune.qlora import attach_lora, load_trainable_base
from rag_vs_ft.models.generator import cpu_has_fast_bf16, load_generator
from rag_vs_ft.models.resolve import generator_path


def generation(path: str, dtype: torch.dtype, prompt_len: int, batch: int = 8, new: int = 40) -> float:
    model, _ = load_generator(path, dtype, "cpu")
    x = torch.randint(100, 40000, (batch, prompt_len))
    with torch.inference_mode():
        t0 = time.perf_counter()
        model.generate(input_ids=x, attention_mask=torch.ones_like(x), max_new_tokens=new, min_new_tokens=new,
                       do_sample=False, pad_token_id=0)
    return time.perf_counter() - t0


def train_step(path: str, dtype: torch.dtype, steps: int, batch: int = 4, length: int = 256) -> float:
    model, method, _ = load_trainable_base(path, "qlora", dtype, "cpu", False)
    model = attach_lora(model, FinetuneConfig(), seed=0)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    x = torch.randint(100, 40000, (batch, length))
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        model(input_ids=x, labels=x).loss.backward()
        opt.step()
        opt.zero_grad()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=3)
    args = ap.parse_args()
    path, _ = generator_path(EMBEDDED_LLM, RunConfig().cache_dir)
    print(f"threads={torch.get_num_threads()} native_bf16={cpu_has_fast_bf16()}")
    for dtype in (torch.float32, torch.bfloat16):
        for plen in (100, 600):
            dt = generation(path, dtype, plen)
            print(f"generate {dtype} batch=8 prompt={plen} new=40: {dt:.1f}s, {8 * 40 / dt:.0f} new tok/s")
        print(f"qlora step {dtype} batch=4x256: {train_step(path, dtype, args.steps):.1f}s (best of {args.steps})")


if __name__ == "__main__":
    main()
