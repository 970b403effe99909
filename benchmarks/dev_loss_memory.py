"""Peak memory and time of one dev-loss evaluation of an adapter in training, with autograd recording (how
`finetune.qlora.mean_loss` ran before) against `torch.no_grad()` (how it runs now), and the check that both give
the same loss.

    HF_HUB_OFFLINE=1 python benchmarks/dev_loss_memory.py [--dtype fp32|bf16] [--rows 8 --row-tokens 256]

Each way runs in a process of its own (its peak resident memory is its own) on the same rows, in one batch of
--rows (the run's dev batch is 2 x batch_size x max_length tokens: 8 x 256 at the defaults). Run it with
nothing else on the machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import time


def child(dtype_name: str, no_grad: bool, n_rows: int, row_tokens: int) -> None:
    import torch

    from rag_vs_ft.config import EMBEDDED_LLM, FinetuneConfig, RunConfig
    from rag_vs_ft.finetune import qlora
    from rag_vs_ft.finetune.data import Example
    from rag_vs_ft.measure import peak_memory_mb
    from rag_vs_ft.models.resolve import generator_path

    dtype = torch.float32 if dtype_name == "fp32" else torch.bfloat16
    path, _ = generator_path(EMBEDDED_LLM, RunConfig().cache_dir)
    model, method, _ = qlora.load_trainable_base(path, "qlora", dtype, "cpu", False)
    model = qlora.attach_lora(model, FinetuneConfig(), seed=0)
    model.train()
    g = torch.Generator().manual_seed(0)
    rows = []
    for _ in range(n_rows):
        ids = torch.randint(100, 40000, (row_tokens,), generator=g).tolist()
        cut = row_tokens * 2 // 3
        rows.append(Example(ids, [-100] * cut + ids[cut:], "qa"))
    if not no_grad:  # the former mean_loss: the same loop with autograd recording
        qlora.torch = _GradOn(torch)
    t0 = time.perf_counter()
    loss = qlora.mean_loss(model, rows, n_rows, 0, "cpu")
    print(json.dumps({"s": time.perf_counter() - t0, "loss": loss, "peak_rss_mb": peak_memory_mb("cpu"),
                      "method": method}))


class _GradOn:
    """torch, except that no_grad() records gradients as before."""

    def __init__(self, torch):
        self._torch = torch

    def __getattr__(self, name):
        return getattr(self._torch, name)

    @staticmethod
    def no_grad():
        return contextlib.nullcontext()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32")
    ap.add_argument("--rows", type=int, default=8)
    ap.add_argument("--row-tokens", type=int, default=256)
    ap.add_argument("--child", choices=["grad", "no_grad"], default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.dtype, args.child == "no_grad", args.rows, args.row_tokens)
        return
    res = {}
    for way in ("grad", "no_grad"):
        out = subprocess.run([sys.executable, __file__, "--dtype", args.dtype, "--rows", str(args.rows),
                              "--row-tokens", str(args.row_tokens), "--child", way],
                             capture_output=True, text=True, check=True)
        res[way] = json.loads(out.stdout.strip().splitlines()[-1])
    old, new = res["grad"], res["no_grad"]
    print(f"{args.dtype}, one dev batch of {args.rows} rows x {args.row_tokens} tokens ({old['method']})")
    for way, r in res.items():
        print(f"{'autograd on (before)' if way == 'grad' else 'no_grad (now)':<22} {r['s']:6.2f} s "
              f"({old['s'] / r['s']:.2f}x)  peak RSS {r['peak_rss_mb']:7.0f} MB "
              f"({r['peak_rss_mb'] / old['peak_rss_mb']:.2f}x)  loss {r['loss']:.6f}")
    print(f"same loss: {abs(old['loss'] - new['loss']) <= 1e-5 * abs(old['loss'])} "
          f"(|diff| {abs(old['loss'] - new['loss']):.2e})")


if __name__ == "__main__":
    main()
