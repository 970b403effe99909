"""The QLoRA recipe: LoRA adapters trained on a 4-bit NF4 base (bitsandbytes), cached by content hash.

Trap (measured): on CPU, calling generate() on a 4-bit model repacks its weights and later training of that
same instance gets wrong gradients. So training always starts from a freshly loaded model, and answering
later loads the base again and merges the saved adapter (see models.backends.hf.load_generator).
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import torch

from rag_vs_ft.config import FinetuneConfig
from rag_vs_ft.finetune import distributed
from rag_vs_ft.finetune.accumulate import accumulate_step
from rag_vs_ft.finetune.data import Example, collate, length_grouped_batches, pack
from rag_vs_ft.finetune.recipes.selection import TrainingSet
from rag_vs_ft.models.generator import dtype_name, load_tokenizer
from rag_vs_ft.measure import current_memory_mb, peak_memory_mb, reset_peak_memory
from rag_vs_ft.store import atomic_dir, stable_hash

StepCallback = Callable[[int, float], None]


@dataclass
class TrainResult:
    adapter_dir: str
    key: str
    recipe: str  # the registered recipe its training set came from (finetune/recipes/)
    method: str  # "qlora-nf4" or "lora" (fallback or chosen)
    note: str  # why a fallback happened, empty otherwise
    steps: int
    planned_steps: int
    epochs_done: float
    examples_total: int
    examples_seen: int
    train_loss: list[tuple[int, float]] = field(default_factory=list)
    dev_loss: list[tuple[int, float]] = field(default_factory=list)
    best_dev_loss: float | None = None
    dev_loss_start: float | None = None  # before the first step: the dev loss must end below it
    best_step: int | None = None  # where the kept adapter comes from
    tokens_seen: int = 0  # training tokens (padding excluded)
    stopped_early: bool = False
    seconds: float = 0.0
    peak_memory_mb: float = 0.0
    row_tokens: int = 0  # the longest training row (the memory estimate's sequence length)
    rows_per_step: int = 0  # rows a step averages over
    rows_per_pass: int = 0  # rows one forward/backward pass holds activations for (the memory estimate's batch)
    memory_start_mb: float = 0.0  # resident before loading the model: peak - start is what training itself took
    training_set: dict = field(default_factory=dict)  # TrainingSet.summary()
    adapter_bytes: int = 0
    processes: int = 1  # data-parallel ranks that trained it (finetune.distributed)
    cached: bool = False


class EarlyStopping:
    """Keeps the adapter with the lowest dev loss and says when to stop: after `patience` dev evaluations in a
    row without a new best. `snapshot()` is only called on a new best (copying weights is not free)."""

    def __init__(self, patience: int):
        self.patience, self.bad, self.best, self.best_step, self.state = patience, 0, None, None, None

    def update(self, step: int, dev_loss: float, snapshot: Callable[[], dict]) -> bool:
        if self.best is None or dev_loss < self.best:
            self.best, self.best_step, self.bad, self.state = dev_loss, step, 0, snapshot()
        else:
            self.bad += 1
        return self.bad >= self.patience


class Checkpoint:
    """The whole training state, saved at step boundaries into `<adapter>.partial/state.pt`: LoRA weights,
    optimizer, scheduler, RNG, early stopping and the loop's position. A run resumed from it ends with the same
    adapter as one never interrupted (tested), because every later step sees exactly the same state."""

    def __init__(self, target: Path):
        self.path = target.with_name(target.name + ".partial") / "state.pt"

    def save(self, model, opt, sched, stopper: EarlyStopping, result: "TrainResult", epoch: int, batch: int,
             elapsed: float) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        state = {"lora": {k: v.detach().clone() for k, v in model.state_dict().items() if "lora_" in k},
                 "optimizer": opt.state_dict(), "scheduler": sched.state_dict(), "rng": torch.get_rng_state(),
                 "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
                 "stopper": vars(stopper), "result": asdict(result), "epoch": epoch, "batch": batch,
                 "elapsed": elapsed}
        tmp = self.path.with_suffix(".tmp")
        torch.save(state, tmp)
        tmp.replace(self.path)  # a crash mid-save keeps the previous checkpoint

    def load(self) -> dict | None:
        if not self.path.exists():
            return None
        try:
            return torch.load(self.path, weights_only=False)
        except Exception:  # noqa: BLE001 - unreadable (another version, a torn file): train from the start
            return None

    def restore(self, state: dict, model, opt, sched, stopper: EarlyStopping) -> "TrainResult":
        model.load_state_dict(state["lora"], strict=False)
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["rng"])
        if state["cuda_rng"] is not None:
            torch.cuda.set_rng_state_all(state["cuda_rng"])
        vars(stopper).update(state["stopper"])
        return TrainResult(**state["result"])

    def remove(self) -> None:
        import shutil

        shutil.rmtree(self.path.parent, ignore_errors=True)


@contextlib.contextmanager
def interrupt_at_step_boundary():
    """Ctrl-C during training is held until the step in flight ends (an optimizer step cut in half would leave
    weights no checkpoint can restore); `pending()` says one came. A second Ctrl-C stops at once."""
    import signal
    import threading

    flag = {"hit": False}
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return

    def handler(signum, frame):
        if flag["hit"]:
            raise KeyboardInterrupt
        flag["hit"] = True

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield lambda: flag["hit"]
    finally:
        signal.signal(signal.SIGINT, previous)


def load_trainable_base(base_path: str, method: str, dtype: torch.dtype, device: str, trust_remote_code: bool):
    """4-bit NF4 base with double quantization when asked and possible; otherwise the plain base."""
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    if method == "qlora":
        try:
            bnb = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                                     bnb_4bit_compute_dtype=dtype)
            model = AutoModelForCausalLM.from_pretrained(base_path, quantization_config=bnb, dtype=dtype,
                                                         device_map={"": device}, trust_remote_code=trust_remote_code)
            if getattr(model, "is_loaded_in_4bit", False):
                return model, "qlora-nf4", ""
            note = "bitsandbytes loaded the model without 4-bit layers"
        except Exception as exc:  # no usable bitsandbytes backend on this machine
            note = f"4-bit NF4 loading failed ({type(exc).__name__}: {str(exc).splitlines()[0][:160]})"
    else:
        note = ""
    model = AutoModelForCausalLM.from_pretrained(base_path, dtype=dtype, trust_remote_code=trust_remote_code).to(device)
    return model, "lora", (f"{note}; fell back to LoRA on the {dtype_name(dtype)} base" if note else "")


def attach_lora(model, cfg: FinetuneConfig, seed: int):
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)
    lora = LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout,
                      target_modules=cfg.target_modules, task_type="CAUSAL_LM")
    return get_peft_model(model, lora)


# Architectures whose logits are exactly lm_head(decoder output): no soft-capping or scaling after the head.
PLAIN_HEAD = {"llama", "mistral", "qwen2", "qwen3", "smollm3"}


def answer_loss(model, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """The causal-LM loss, with the vocabulary projection computed only where a token is predicted for a label.
    Most training tokens are prompt (loss on answers only), and lm_head over a 49k vocabulary is about a fifth of
    a 135M model's compute, so the full-logits path (`model(**batch).loss`) wastes it; same value, same mean
    over labelled tokens. Other architectures take the full path."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    if getattr(base.config, "model_type", None) not in PLAIN_HEAD:
        return model(**batch, use_cache=False).loss
    inputs = {k: v for k, v in batch.items() if k != "labels"}
    hidden = base.get_decoder()(**inputs, use_cache=False).last_hidden_state[:, :-1]
    target = batch["labels"][:, 1:]
    keep = target != -100
    logits = base.get_output_embeddings()(hidden[keep]).float()
    return torch.nn.functional.cross_entropy(logits, target[keep])


@contextlib.contextmanager
def dropout_off(model):
    """Dropout off for a dev-loss pass, every other module left in training mode. Not `model.eval()`: on a CPU
    with AVX512-BF16, bitsandbytes packs a 4-bit weight for fast inference at its first eval-mode forward, and
    training through the packed weight then loses gradients (some LoRA weights got none: tested) — the
    dev-loss pass before the first step made every default fine-tune on such a CPU train wrongly."""
    dropouts = [m for m in model.modules() if isinstance(m, torch.nn.Dropout) and m.training]
    for m in dropouts:
        m.eval()
    try:
        yield
    finally:
        for m in dropouts:
            m.train()


@torch.no_grad()
def mean_loss(model, examples: list[Example], batch_size: int, pad_id: int, device: str) -> float:
    total, count = 0.0, 0
    with dropout_off(model):
        for s in range(0, len(examples), batch_size):
            batch = {k: v.to(device) for k, v in collate(examples[s:s + batch_size], pad_id).items()}
            n = int((batch["labels"][:, 1:] != -100).sum())
            total += float(answer_loss(model, batch)) * n
            count += n
    return total / max(1, count)


def adapter_key(base_info: dict, examples: list[Example], dev: list[Example], cfg: FinetuneConfig, seed: int) -> str:
    data = stable_hash([[e.input_ids, e.labels] for e in examples] + [e.input_ids for e in dev])
    # neither the list of seeds to run nor the search settings change one seed's adapter at given values
    hparams = cfg.model_dump(exclude={"seeds", "search", "search_learning_rates", "search_ranks", "search_steps",
                                      "checkpoint_every", "processes"})
    return stable_hash({"base": base_info, "data": data, "hparams": hparams, "seed": seed})


def cached_adapter(base_info: dict, tset: TrainingSet, cfg: FinetuneConfig, seed: int,
                   cache_dir: Path) -> TrainResult | None:
    """The adapter train_adapter would return from the cache, or None when it would have to train."""
    target = cache_dir / "adapters" / adapter_key({**base_info, "recipe": tset.recipe}, tset.examples, tset.dev,
                                                  cfg, seed)
    return _cached_result(target) if (target / "training.json").exists() else None


def train_adapter(base_path: str, base_info: dict, tset: TrainingSet, cfg: FinetuneConfig, seed: int, device: str,
                  dtype: torch.dtype, cache_dir: Path, trust_remote_code: bool = False,
                  on_start: Callable[[int], StepCallback] | None = None) -> TrainResult:
    """Train one adapter on `tset` for `cfg.epochs` (or `cfg.max_steps`), keeping the one with the lowest dev loss;
    early stopping may end training only once every example has been seen."""
    distributed.init_if_launched()  # no-op unless torchrun started several processes
    tok = load_tokenizer(base_path, trust_remote_code)
    examples, dev = tset.examples, tset.dev
    if not examples:
        raise ValueError(f"the {tset.recipe} training set is empty")
    key = adapter_key({**base_info, "recipe": tset.recipe}, examples, dev, cfg, seed)
    target = cache_dir / "adapters" / key
    if (target / "training.json").exists():  # the check cached_adapter makes, without hashing twice
        return _cached_result(target)

    t0 = time.perf_counter()
    memory_start = current_memory_mb(device)
    reset_peak_memory(device)
    model, method, note = load_trainable_base(base_path, cfg.method, dtype, device, trust_remote_code)
    model = attach_lora(model, cfg, seed)
    model.train()
    # a RAFT prompt can be longer than max_length: it gets a row of its own rather than losing its answer
    rows = pack(examples, max(cfg.max_length, max(len(e.input_ids) for e in examples))) if cfg.packing else examples
    row_tokens, per_step, planned, eval_every = _step_plan(rows, cfg)
    params, opt, sched = _optimizer(model, cfg, planned)
    step_cb = on_start(planned) if on_start else None
    result = TrainResult(adapter_dir=str(target), key=key, recipe=tset.recipe, method=method, note=note, steps=0,
                         planned_steps=planned, epochs_done=0.0, examples_total=len(examples), examples_seen=0,
                         row_tokens=row_tokens, rows_per_step=per_step, memory_start_mb=round(memory_start, 1),
                         training_set=tset.summary(), processes=distributed.world()[1])
    stopper, epoch, skip = EarlyStopping(cfg.patience), 0, 0
    dev_batch = max(1, 2 * cfg.batch_size * cfg.max_length // max((len(e.input_ids) for e in dev), default=1))
    checkpoint, elapsed_before = Checkpoint(target), 0.0
    saved = checkpoint.load()
    if saved is not None:  # an interrupted run of this very adapter: go on from its last step
        result = checkpoint.restore(saved, model, opt, sched, stopper)
        epoch, skip, elapsed_before = saved["epoch"], saved["batch"], saved["elapsed"]
    elif dev:
        result.dev_loss_start = round(mean_loss(model, dev, dev_batch, tok.pad_token_id, device), 4)
    # "auto" resolved for this device and dtype: the loop sees the number of tokens per pass
    loop_cfg = cfg.model_copy(update={"micro_batch_tokens": cfg.pass_tokens(device, dtype_name(dtype))})
    pass_tokens = loop_cfg.micro_batch_tokens if distributed.world()[1] == 1 else None
    # rows of the longest length that share a pass (a longer row than the pass runs alone, checkpointed)
    result.rows_per_pass = per_step if pass_tokens is None else max(1, min(per_step, pass_tokens // row_tokens))
    with interrupt_at_step_boundary() as interrupted:
        train_loop(model, rows, per_step, seed, epoch, skip, planned, eval_every, params, opt, sched, stopper,
                   result, dev, dev_batch, tok.pad_token_id, device, loop_cfg, step_cb, len(examples),
                   # every rank holds the same state: rank 0 alone writes it
                   lambda ep, b: distributed.is_main() and checkpoint.save(
                       model, opt, sched, stopper, result, ep, b, elapsed_before + time.perf_counter() - t0),
                   interrupted)
    if stopper.state is not None:  # keep the adapter with the lowest dev loss, not the last one
        model.load_state_dict(stopper.state, strict=False)
    result.epochs_done = round(result.examples_seen / len(examples), 4)
    result.seconds = round(elapsed_before + time.perf_counter() - t0, 2)
    result.peak_memory_mb = round(peak_memory_mb(device), 1)
    if distributed.is_main():
        _save_adapter(model, result, target)
        checkpoint.remove()
    return result


def _cached_result(target: Path) -> TrainResult:
    """The result of an adapter trained before, read from its training.json."""
    result = TrainResult(**json.loads((target / "training.json").read_text()))
    result.adapter_dir, result.cached = str(target), True
    return result


def _step_plan(rows: list[Example], cfg: FinetuneConfig) -> tuple[int, int, int, int]:
    """(longest row in tokens, rows per step, planned steps, steps between dev evaluations)."""
    row_tokens = max(len(r.input_ids) for r in rows)
    # a step holds at most batch_size x max_length tokens: long RAFT rows come fewer per step, or memory (which
    # grows ~5 MB per token of a step here: activations and fp32 logits over a 49k vocabulary) would triple
    per_step = max(1, min(cfg.batch_size, cfg.batch_size * cfg.max_length // row_tokens))
    batches_per_epoch = math.ceil(len(rows) / per_step)
    planned = math.ceil(cfg.epochs * batches_per_epoch)
    if cfg.max_steps is not None:
        planned = min(planned, cfg.max_steps)
    return row_tokens, per_step, planned, cfg.eval_every or max(1, batches_per_epoch // 2)


def _optimizer(model, cfg: FinetuneConfig, planned: int):
    """(trainable parameters, AdamW over them, linear schedule with warm-up over the first tenth of the steps)."""
    from transformers import get_linear_schedule_with_warmup

    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.learning_rate, weight_decay=0.0)
    return params, opt, get_linear_schedule_with_warmup(opt, max(1, planned // 10), planned)


def _save_adapter(model, result: TrainResult, target: Path) -> None:
    """The adapter (adapter_model.safetensors + adapter_config.json) and its training.json, written at once."""
    with atomic_dir(target) as tmp:
        model.save_pretrained(tmp)
        result.adapter_bytes = sum(p.stat().st_size for p in tmp.glob("adapter_model*"))
        (tmp / "training.json").write_text(json.dumps(asdict(result), indent=2))


def train_loop(model, rows, per_step, seed, epoch, skip, planned, eval_every, params, opt, sched, stopper,
               result: TrainResult, dev, dev_batch, pad_id, device, cfg: FinetuneConfig, step_cb, n_examples,
               save_checkpoint: Callable[[int, int], None], interrupted: Callable[[], bool]) -> None:
    """Steps from (epoch, batch `skip` of it) on; a checkpoint every `cfg.checkpoint_every` steps and, on Ctrl-C,
    at the end of the step in flight (then KeyboardInterrupt goes on up)."""
    while result.steps < planned and not result.stopped_early:
        batches = length_grouped_batches(rows, per_step, seed + epoch)
        for b, batch_examples in enumerate(batches):
            if b < skip:
                continue
            if distributed.world()[1] > 1:  # torchrun: this rank's shard, gradients combined across ranks
                loss = distributed.backward_on_shard(model, batch_examples, params, pad_id, device, answer_loss,
                                                     collate)
            else:  # in passes of at most micro_batch_tokens: the same step, less activation memory
                loss = accumulate_step(model, batch_examples, cfg.micro_batch_tokens, pad_id, device, answer_loss,
                                       collate)
            torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            result.steps += 1
            result.examples_seen += sum(e.members for e in batch_examples)
            result.tokens_seen += sum(len(e.input_ids) for e in batch_examples)
            loss_value = loss.item()
            result.train_loss.append((result.steps, round(loss_value, 4)))
            if step_cb:
                step_cb(result.steps, loss_value)
            if dev and (result.steps % eval_every == 0 or result.steps == planned):
                dl = mean_loss(model, dev, dev_batch, pad_id, device)
                result.dev_loss.append((result.steps, round(dl, 4)))
                stop = stopper.update(result.steps, dl, lambda: {
                    k: v.detach().clone() for k, v in model.state_dict().items() if "lora_" in k})
                # before one full epoch some examples were never shown: no verdict on them yet
                result.stopped_early = stop and result.examples_seen >= n_examples
                result.best_dev_loss, result.best_step = stopper.best, stopper.best_step
            if result.steps >= planned or result.stopped_early:
                break
            # the next step is batch b + 1 of this epoch (or the first of the next)
            at = (epoch, b + 1) if b + 1 < len(batches) else (epoch + 1, 0)
            if interrupted():
                save_checkpoint(*at)
                raise KeyboardInterrupt
            if result.steps % cfg.checkpoint_every == 0:
                save_checkpoint(*at)
        epoch, skip = epoch + 1, 0
