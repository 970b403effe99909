"""Peak memory and step time of a QLoRA step on the embedded model, the step in one forward/backward pass against
the same step in passes of at most `finetune.micro_batch_tokens` tokens (gradient accumulation).

    HF_HUB_OFFLINE=1 python benchmarks/training_memory.py [--dtype fp32|bf16] [--steps 4]

Each setting runs in a process of its own (so its peak resident memory is its own), on the same rows: 4 rows of
256 tokens, the answer loss on the last third of each. Prints s/step (best of --steps), the process's peak RSS,
and how far the first step's LoRA gradient is from the one-pass gradient (max |diff| / max |grad|). Run it with
nothing else on the machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SETTINGS = [None, 512, 256]


def child(dtype_name: str, max_tokens: int | None, steps: int, grads_out: str) -> None:
    import torch

    from rag_vs_ft.config import EMBEDDED_LLM, FinetuneConfig, RunConfig
    from rag_vs_ft.finetune.accumulate import accumulate_step
    from rag_vs_ft.finetune.data import Example, collate
    from rag_vs_ft.finetune.qlora import answer_loss, attach_lora, load_trainable_base
    from rag_vs_ft.measure import peak_memory_mb
    from rag_vs_ft.models.resolve import generator_path

    dtype = torch.float32 if dtype_name == "fp32" else torch.bfloat16
    path, _ = generator_path(EMBEDDED_LLM, RunConfig().cache_dir)
    cfg = FinetuneConfig(lora_dropout=0.0)
    model, method, _ = load_trainable_base(path, "qlora", dtype, "cpu", False)
    model = attach_lora(model, cfg, seed=0)
    model.train()
    g = torch.Generator().manual_seed(0)
    rows = []
    for _ in range(4):
        ids = torch.randint(100, 40000, (256,), generator=g).tolist()
        rows.append(Example(ids, [-100] * 171 + ids[171:], "qa"))
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
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--grads", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        child(args.dtype, None if args.child == "none" else int(args.child), args.steps, args.grads)
        return
    import torch

    tmp = Path(tempfile.mkdtemp())
    results = {}
    for max_tokens in SETTINGS:
        grads = tmp / f"{max_tokens}.pt"
        out = subprocess.run([sys.executable, __file__, "--dtype", args.dtype, "--steps", str(args.steps),
                              "--child", str(max_tokens).lower(), "--grads", str(grads)],
                             capture_output=True, text=True, check=True)
        results[max_tokens] = json.loads(out.stdout.strip().splitlines()[-1])
    ref = torch.load(tmp / "None.pt")
    base = results[None]
    print(f"{args.dtype}, one step = 4 rows x 256 tokens ({base['method']})")
    for max_tokens, r in results.items():
        diff = float((torch.load(tmp / f"{max_tokens}.pt") - ref).abs().max() / ref.abs().max())
        label = "one pass" if max_tokens is None else f"passes of <= {max_tokens} tokens"
        print(f"{label:<26} {r['s_per_step']:6.2f} s/step ({base['s_per_step'] / r['s_per_step']:.2f}x)  "
              f"peak RSS {r['peak_rss_mb']:7.0f} MB ({r['peak_rss_mb'] / base['peak_rss_mb']:.2f}x)  "
              f"gradient vs one pass {diff:.1e}")


if __name__ == "__main__":
    main()
