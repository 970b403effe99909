"""Training throughput: our fine-tuning loop against HF `Trainer` + peft with default arguments, on the same
examples, model and machine; and QLoRA (4-bit NF4 base) against plain LoRA on the 16/32-bit base.

    HF_HUB_OFFLINE=1 python benchmarks/training_speed.py [--examples 160] [--method qlora|lora]

One pass over the same examples (a sample of the closed-book adapter's default training set: train-split QA and
generated QA of the legal domain, finetune.recipes) with each loop;
throughput = real (non-padding) training tokens per second, so padding is work that earns nothing. Our loop
packs several examples into each row (`finetune.data.pack`); Trainer pads every batch to its longest example.
Prints tokens/s of each and the ratio (ours / Trainer). Run it with nothing else on the machine.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time

import torch

from rag_vs_ft.config import RunConfig
from rag_vs_ft.synth.domain import load_domain
from rag_vs_ft.finetune.data import collate, pack
from rag_vs_ft.finetune.recipes.closed_book import closed_book_set
from rag_vs_ft.finetune.qlora import answer_loss, attach_lora, load_trainable_base
from rag_vs_ft.models.generator import load_tokenizer, pick_dtype
from rag_vs_ft.models.resolve import generator_path
from rag_vs_ft.preflight import plan_questions


def sample_examples(cfg: RunConfig, tok, n: int, seed: int = 0):
    domain = load_domain("legal", cfg.corpora_dir, cfg.cache_dir)
    plan = plan_questions(domain.questions, cfg)
    docs = [d for d in domain.documents if d.id not in plan.withheld]
    examples = closed_book_set(tok, docs, plan.train_qa, [], cfg.finetune, budget=None).examples
    return random.Random(seed).sample(examples, min(n, len(examples)))


def fresh_model(path: str, method: str, dtype, cfg: RunConfig):
    model, got, _ = load_trainable_base(path, method, dtype, "cpu", False)
    model = attach_lora(model, cfg.finetune, seed=0)
    model.train()
    return model, got


def ours(path, method, dtype, cfg, examples, tok) -> float:
    model, _ = fresh_model(path, method, dtype, cfg)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.finetune.learning_rate)
    rows = pack(examples, cfg.finetune.max_length)
    bs = cfg.finetune.batch_size
    t0 = time.perf_counter()
    for s in range(0, len(rows), bs):
        loss = answer_loss(model, collate(rows[s:s + bs], tok.pad_token_id))
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
    return time.perf_counter() - t0


def hf_trainer(path, method, dtype, cfg, examples, tok) -> float:
    from transformers import DataCollatorForSeq2Seq, Trainer, TrainingArguments

    model, _ = fresh_model(path, method, dtype, cfg)
    data = [{"input_ids": e.input_ids, "labels": e.labels, "attention_mask": [1] * len(e.input_ids)}
            for e in examples]
    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(output_dir=out, per_device_train_batch_size=cfg.finetune.batch_size,
                                 num_train_epochs=1, learning_rate=cfg.finetune.learning_rate, report_to=[],
                                 save_strategy="no", logging_strategy="no", use_cpu=True)
        trainer = Trainer(model=model, args=args, train_dataset=data,
                          data_collator=DataCollatorForSeq2Seq(tok, padding=True))
        t0 = time.perf_counter()
        trainer.train()
        return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=160)
    ap.add_argument("--method", choices=["qlora", "lora"], default="qlora")
    args = ap.parse_args()
    cfg = RunConfig()
    path, _ = generator_path(cfg.model.name, cfg.cache_dir)
    tok = load_tokenizer(path)
    dtype = pick_dtype(cfg.model.dtype, "cpu")
    examples = sample_examples(cfg, tok, args.examples)
    tokens = sum(len(e.input_ids) for e in examples)
    print(f"{len(examples)} training examples, {tokens:,} real tokens, {torch.get_num_threads()} threads, "
          f"base dtype {str(dtype).replace('torch.', '')}")
    runs = {}
    loops = [("ours (packed)", ours, args.method, dtype), ("HF Trainer + peft", hf_trainer, args.method, dtype),
             ("ours, plain LoRA", ours, "lora", dtype)]
    if dtype != torch.float32:  # a CPU with native bf16: show what plain fp32 LoRA would cost beside it
        loops.append(("ours, plain LoRA fp32", ours, "lora", torch.float32))
    for label, fn, method, dt in loops:
        seconds = fn(path, method, dt, cfg, examples, tok)
        runs[label] = tokens / seconds
        print(f"{label:<24} {method:<6} {str(dt).replace('torch.', ''):<9} {seconds:8.1f} s  "
              f"{runs[label]:8.1f} tokens/s", flush=True)
    print(f"ours vs HF Trainer ({args.method}): {runs['ours (packed)'] / runs['HF Trainer + peft']:.2f}x")
    print(f"4-bit QLoRA vs plain LoRA, our loop: {runs['ours (packed)'] / runs['ours, plain LoRA']:.2f}x "
          "(below 1: 4-bit saves memory, not time, on this machine)")
    if "ours, plain LoRA fp32" in runs:
        print(f"plain LoRA bf16 vs fp32, our loop: {runs['ours, plain LoRA'] / runs['ours, plain LoRA fp32']:.2f}x")


if __name__ == "__main__":
    main()
