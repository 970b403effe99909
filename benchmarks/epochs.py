"""What each epoch of fine-tuning buys on the dev split: the run's two adapters (closed-book and RAFT) trained for
each of --epochs, scored on dev questions only (dev loss, and the share of dev questions the finetune and
finetune_rag arms answer correctly), with the training time.

    HF_HUB_OFFLINE=1 python benchmarks/epochs.py [--epochs 1 2] [key=value ...]

Everything else is the run's pipeline with its defaults (or the key=value overrides, as for `rag-vs-ft run`):
corpus, splits, index and retrieval choice, training sets, prompts. No test question is read. Adapters are cached
like the run's, so a second call only re-answers.
"""

from __future__ import annotations

import argparse
import time

from rag_vs_ft.answering import answer_with
from rag_vs_ft.arms.registry import registered
from rag_vs_ft.config import load_config
from rag_vs_ft.evaluation.correctness import headline_score
from rag_vs_ft.finetune.recipes.registry import RecipeInputs
from rag_vs_ft.finetune.stage import train_all
from rag_vs_ft.pipeline import check_before_compute, corpus_stage, index_stage, model_stage
from rag_vs_ft.tuning import dev_slice
from rag_vs_ft.ui import UI

ARMS = {"closed_book": "finetune", "raft": "finetune_rag"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=float, nargs="+", default=[1.0, 2.0])
    ap.add_argument("--dev", type=int, default=60, help="dev questions answered per adapter at most")
    ap.add_argument("overrides", nargs="*")
    args = ap.parse_args()
    cfg = load_config(["domain=legal", *args.overrides])
    run = check_before_compute(cfg, UI(quiet=True))
    corpus = corpus_stage(run)
    model = model_stage(run)
    index = index_stage(run, corpus)
    dev = dev_slice(corpus.plan.dev_qa, args.dev)
    inp = RecipeInputs(model.base_path, model.info, corpus.train_docs, corpus.plan.train_qa, corpus.plan.dev_qa,
                       run.device, run.dtype, cfg.cache_dir, cfg.model.trust_remote_code, index.retriever.search,
                       index.choice.top_k, corpus.plan.withheld)
    inputs = {"retriever": index.retriever, "top_k": index.choice.top_k, "few_shot": [],
              "train": corpus.plan.train_qa, "documents": {d.id: d for d in corpus.domain.documents}}
    print(f"{cfg.domain}, {run.dtype_name} on {run.device}, {len(dev)} dev questions; retrieval "
          f"{index.choice.mode} chunk {index.choice.chunk_size} top_k {index.choice.top_k}")
    print(f"{'recipe':<12}{'epochs':>7}{'train s':>9}{'dev loss':>10}{'best step':>10}{'dev correct':>12}")
    for epochs in args.epochs:
        ft = cfg.finetune.model_copy(update={"epochs": epochs})
        for (recipe, seed), (res, _) in train_all(inp, ft, list(ARMS), [run.seeds[0]]).items():
            t0 = time.perf_counter()
            answers, _ = answer_with(registered()[ARMS[recipe]], cfg.model_copy(update={"eval": cfg.eval.model_copy(
                update={"latency_sample": 0})}), model.base_path, run.dtype, run.device, res.adapter_dir, inputs,
                dev, lambda n=1, extra="": None)
            score = headline_score([a.answer for a in answers], dev)
            print(f"{recipe:<12}{epochs:>7.1f}{res.seconds:>9.0f}{res.best_dev_loss:>10.4f}"
                  f"{res.best_step:>6}/{res.steps:<4}{score:>11.3f}   (answered in {time.perf_counter() - t0:.0f}s"
                  f"{', cached adapter' if res.cached else ''}; dev loss by step {res.dev_loss})")


if __name__ == "__main__":
    main()
