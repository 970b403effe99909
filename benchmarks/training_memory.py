"""Peak memory and step time of a QLoRA step on the embedded model, the step in one forward/backward pass against
the same step in passes of at most `finetune.micro_batch_tokens` tokens (gradient accumulation).

    HF_HUB_OFFLINE=1 python benchmarks/training_memory.py [--dtype fp32|bf16] [--steps 4] [--dropout 0.05]
        [--rows 4 --row-tokens 256]     (a RAFT-like step: --rows 1 --row-tokens 918)

Each setting runs in a process of its own (so its peak resident memory is its own), on the same rows (default 4
rows of 256 tokens, the answer loss on the last third of each; a row longer than the pass cap runs with
activation checkpointing). Prints s/step (best of --steps), the process's peak RSS,
and, with --dropout 0 (otherwise each split draws other dropout masks), how far the first step's LoRA gradient is
from the one-pass gradient (max |diff| / max |grad|). LoRA dropout (default 0.05) keeps a dropped copy of every
adapted layer's input, so it weighs on memory too. Run it with nothing else on the machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rag_vs_ft.config import FinetuneConfig

SETTINGS = [None, 512, 256]


def child(dtype_name: str, max_tokens: int | None, steps: int, grads_out: str, dropout: float, n_rows: int,
          row_tokens: int) -> None:
    import torch

    from rag_vs_ft.config import EMBEDDED_LLM, RunConfig
    from rag_vs_ft.finetune.accumulate import accumulate_step
    from rag_vs_ft.finetune.data import Example, collate
    from rag_vs_ft.finetune.qlora import answer_loss, attach_lora, load_trainable_base
    from rag_vs_ft.measure import peak_memory_mb
    from rag_vs_ft.models.resolve import generator_path

    dtype = torch.float32 if dtype_name == "fp32" else torch.bfloat16
    path, _ = generator_path(EMBEDDED_LLM, RunConfig().cache_dir)
    cfg = FinetuneConfig(lora_dropout=dropout)
    model, method, _ = load_trainable_base(path, "qlora", dtype, "cpu", False)
    model = attach_lora(model, cfg, seed=0)
    model.train()
    g = torch.Generator().manual_seed(0)
    rows = []
    for _ in range(n_rows):
        ids = torch.randint(100, 40000, (row_tokens,), generator=g).tolist()
        cut = row_tokens * 2 // 3
        rows.append(Example(ids, [-100] * cut + ids[cut:], "qa"))
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4)
    times, first = [], None
    for step in range(steps):
        t0 = time.perf_counter()
        accumulate_step(model, rows, max_tokens, 0, "cpu", answer_loss, collate)
        if step == 0:
            first = torch.cat([p.grad.float().reshape(-1) for p in params])
        opt.step()
        opt.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - t0)
    torch.save(first, grads_out)
    print(json.dumps({"s_per_step": min(times), "peak_rss_mb": peak_memory_mb("cpu"), "method": method}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32")
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--dropout", type=float, default=FinetuneConfig().lora_dropout)
    ap.add_argument("--rows", type=int, default=4)
    ap.add_argument("--row-tokens", type=int, default=256)
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--grads", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        child(args.dtype, None if args.child == "none" else int(args.child), args.steps, args.grads, args.dropout,
              args.rows, args.row_tokens)
        return
    import torch

    tmp = Path(tempfile.mkdtemp())
    results = {}
    for max_tokens in SETTINGS:
        grads = tmp / f"{max_tokens}.pt"
        out = subprocess.run([sys.executable, __file__, "--dtype", args.dtype, "--steps", str(args.steps), "--dropout", str(args.dropout),
                              "--rows", str(args.rows), "--row-tokens", str(args.row_tokens),
                              "--child", str(max_tokens).lower(), "--grads", str(grads)],
                             capture_output=True, text=True, check=True)
        results[max_tokens] = json.loads(out.stdout.strip().splitlines()[-1])
    ref = torch.load(tmp / "None.pt")
    base = results[None]
    print(f"{args.dtype}, one step = {args.rows} rows x {args.row_tokens} tokens ({base['method']}, LoRA dropout {args.dropout})")
    for max_tokens, r in results.items():
        diff = f"{float((torch.load(tmp / f'{max_tokens}.pt') - ref).abs().max() / ref.abs().max()):.1e}" \
            if args.dropout == 0 else "n/a (dropout)"
        label = "one pass" if max_tokens is None else f"passes of <= {max_tokens} tokens"
        print(f"{label:<26} {r['s_per_step']:6.2f} s/step ({base['s_per_step'] / r['s_per_step']:.2f}x)  "
              f"peak RSS {r['peak_rss_mb']:7.0f} MB ({r['peak_rss_mb'] / base['peak_rss_mb']:.2f}x)  "
              f"gradient vs one pass {diff}")


if __name__ == "__main__":
    main()
