"""Shared-prefix reuse in the hf backend (`model.prefix_cache`) against prefilling every row in full, on the
legal domain's real prompts: the prompt arm's (system prompt + six few-shot examples + question) and the RAG
prompt's (instructions + three gold-evidence pieces + question).

    HF_HUB_OFFLINE=1 python benchmarks/prefix_cache.py [--n 32] [--dtype fp32|bf16]

Prints, for each prompt kind, seconds with and without reuse (timed alternately, best of --repeats), their
ratio, and the share of answers whose tokens are identical. Run it with nothing else on the machine.
"""

from __future__ import annotations

import argparse
import time

import torch

from rag_vs_ft.config import EMBEDDED_LLM, RunConfig
from rag_vs_ft.corpus.splits import few_shot_examples
from rag_vs_ft.index.retriever import Hit
from rag_vs_ft.models.backends.hf import ChatGenerator, load_generator
from rag_vs_ft.models.generator import cpu_has_fast_bf16
from rag_vs_ft.models.prompts import closed_book_messages, rag_messages
from rag_vs_ft.models.resolve import generator_path
from rag_vs_ft.preflight import plan_questions
from rag_vs_ft.synth.domain import load_domain


def prompts(n: int) -> dict[str, list]:
    cfg = RunConfig()
    domain = load_domain("legal", cfg.corpora_dir, cfg.cache_dir)
    plan = plan_questions(domain.questions, cfg)
    dev = sorted(plan.splits["dev"], key=lambda q: q.id)[:n]
    examples = few_shot_examples(plan.splits["train"], 6)
    docs = {d.id: d for d in domain.documents}

    def evidence(q) -> list[Hit]:
        ids = q.doc_ids or list(docs)[:1]
        return [Hit(i, docs[i].title, docs[i].text[:500], 0.0) for i in ids[:3]]

    return {"prompt arm (6 examples)": [closed_book_messages(q, examples) for q in dev],
            "rag (3 evidence pieces)": [rag_messages(q, evidence(q)) for q in dev]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=32, help="dev questions per prompt kind")
    ap.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32")
    ap.add_argument("--batch-size", type=int, default=RunConfig().model.batch_size)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    dtype = torch.float32 if args.dtype == "fp32" else torch.bfloat16
    path, _ = generator_path(EMBEDDED_LLM, RunConfig().cache_dir)
    model, tok = load_generator(path, dtype, "cpu")
    print(f"{args.dtype}, threads={torch.get_num_threads()}, native_bf16={cpu_has_fast_bf16()}, "
          f"batch {args.batch_size}, {args.n} dev questions per kind")
    for kind, convs in prompts(args.n).items():
        best, texts = {False: float("inf"), True: float("inf")}, {}
        for _ in range(args.repeats):
            for reuse in (False, True):
                gen = ChatGenerator(model, tok, RunConfig().model.max_new_tokens, args.batch_size, reuse)
                t0 = time.perf_counter()
                texts[reuse] = [g.text for g in gen.generate(convs)]
                best[reuse] = min(best[reuse], time.perf_counter() - t0)
        same = sum(a == b for a, b in zip(texts[False], texts[True]))
        print(f"{kind:<26} full prefill {best[False]:6.1f}s  prefix reused {best[True]:6.1f}s  "
              f"ratio {best[False] / best[True]:.2f}x  identical answers {same}/{len(convs)}")


if __name__ == "__main__":
    main()
