"""Nothing computed is lost: an interrupted fine-tune resumes from its checkpoint to the same adapter as an
uninterrupted one, and interrupted answering keeps every finished batch and generates only what is missing."""

import os
import signal

import pytest
import torch
from safetensors.torch import load_file

from rag_vs_ft.arms.base import GenerationArm
from rag_vs_ft.models.prompts import closed_book_messages
from rag_vs_ft.config import FinetuneConfig
from rag_vs_ft.finetune.qlora import Checkpoint, train_adapter
from rag_vs_ft.finetune.recipes.closed_book import closed_book_set
from rag_vs_ft.models.generator import load_tokenizer, open_generator
from tiny_docs import rules as _rules


def adapter_tensors(cache, key):
    return load_file(str(cache / "adapters" / key / "adapter_model.safetensors"))


def sigint_after(step_to_hit):
    def on_start(total):
        def cb(step, loss):
            if step == step_to_hit:
                os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl-C, while the loop is running
        return cb
    return on_start


def test_a_fine_tune_interrupted_by_ctrl_c_resumes_to_the_same_adapter(base_model_path, tmp_path):
    docs, qa = _rules(6)
    cfg = FinetuneConfig(epochs=2.0, batch_size=1, packing=False, checkpoint_every=3, eval_every=4,
                         generated_qa=False)  # QLoRA (the default method): the real path
    tset = closed_book_set(load_tokenizer(base_model_path), docs, qa, qa[:2], cfg, budget=None)
    args = (base_model_path, {"name": "t"}, tset, cfg, 0, "cpu", torch.float32)
    whole = train_adapter(*args, tmp_path / "whole")

    with pytest.raises(KeyboardInterrupt):
        train_adapter(*args, tmp_path / "cut", on_start=sigint_after(5))  # between the checkpoints at 3 and 6
    checkpoint = Checkpoint(tmp_path / "cut" / "adapters" / whole.key)
    state = checkpoint.load()
    assert state is not None and state["result"]["steps"] == 5  # saved at the end of the step in flight
    assert not (tmp_path / "cut" / "adapters" / whole.key / "training.json").exists()

    resumed = train_adapter(*args, tmp_path / "cut")
    assert not checkpoint.path.exists()  # done: the checkpoint is gone
    assert resumed.key == whole.key and resumed.steps == whole.steps
    assert resumed.train_loss == whole.train_loss and resumed.dev_loss == whole.dev_loss
    assert (resumed.best_step, resumed.best_dev_loss) == (whole.best_step, whole.best_dev_loss)
    a, b = adapter_tensors(tmp_path / "whole", whole.key), adapter_tensors(tmp_path / "cut", resumed.key)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


class Crash(Exception):
    pass


def test_interrupted_answering_keeps_finished_batches_and_generates_only_the_rest(base_model_path):
    _, qa = _rules(6)
    gen = open_generator(base_model_path, torch.float32, "cpu", max_new_tokens=8, batch_size=2)
    arm = GenerationArm(gen, lambda q, hits: closed_book_messages(q))
    whole = arm.answer(qa)

    saved = []

    def save_then_crash(batch):
        saved.extend(batch)
        if len(saved) >= 2:
            raise Crash  # the process dies right after the first batch reached the disk
    with pytest.raises(Crash):
        arm.answer(qa, done={}, on_answers=save_then_crash)
    assert len(saved) == 2

    calls = []
    real_generate = gen.model.generate
    gen.model.generate = lambda **kw: calls.append(kw["input_ids"].shape[0]) or real_generate(**kw)
    later = []
    resumed = arm.answer(qa, done={a.question_id: a for a in saved}, on_answers=later.extend)
    assert calls == [2, 2]  # two of three batches generated again, the saved one not
    assert {a.question_id for a in later} == {q.id for q in qa} - {a.question_id for a in saved}
    assert [a.answer for a in resumed] == [a.answer for a in whole]
