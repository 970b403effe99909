"""answering: the key every arm's cached answers live under, the answer cache with its resumable partial file,
and `answer_arms` over fake arms and a toy generator backend (no model is loaded)."""

import json
from dataclasses import asdict, replace
from types import SimpleNamespace

import pytest
import torch

from fakes import ListRetriever
from rag_vs_ft.answering import (AnswerSources, PipelineError, answer_arms, answer_with, answers_key, answers_once,
                                 cached_answers, saved_partial)
from rag_vs_ft.arms.base import ArmAnswer, GenerationArm
from rag_vs_ft.arms.registry import ArmSpec
from rag_vs_ft.config import RunConfig
from rag_vs_ft.corpus.schema import QAItem
from rag_vs_ft.evaluation.grounding import Evidence
from rag_vs_ft.index.retriever import Chunk
from rag_vs_ft.models.backends import registry as backends
from rag_vs_ft.run_setup import RunSetup
from rag_vs_ft.ui import UI

QS = [QAItem(f"q{i}", f"What is the deadline under rule {i}?", f"{i + 2} days.", (f"d{i}",), True, "a")
      for i in range(5)]
SOURCES = AnswerSources(model={"name": "m", "content": "sha256:1"}, device="cpu", dtype="float32",
                        corpus_hash="c1", index_key="i1", fresh_docs=["d9"],
                        retrieval={"mode": "bm25", "chunk_size": 500, "top_k": 3})


def _answer(qid: str, text: str = "") -> ArmAnswer:
    return ArmAnswer(question_id=qid, answer=text or f"answer to {qid}", latency_s=0.1, prompt_tokens=3,
                     generated_tokens=2)


# ------------------------------------------------------------------------------------------------ answers_key

def _key(arm="rag", cfg=None, sources=SOURCES, adapter=None, few_shot=(), questions=tuple(QS)):
    return answers_key(arm, cfg or RunConfig(), sources, adapter, list(few_shot), list(questions))


def _cfg(**overrides):
    from rag_vs_ft.config import load_config

    return load_config([f"{k}={v}" for k, v in overrides.items()])


def test_answers_key_is_stable():
    assert _key() == _key()


@pytest.mark.parametrize("change", [
    dict(arm="prompt"),
    dict(cfg={"seed": 1}), dict(cfg={"model.max_new_tokens": 41}), dict(cfg={"model.backend": "other"}),
    dict(cfg={"model.dtype": "fp32"}), dict(cfg={"retrieval.reranker": "some/reranker"}),
    dict(cfg={"retrieval.chunk_overlap": 20}),
    dict(sources={"model": {"name": "m", "content": "sha256:2"}}), dict(sources={"device": "cuda"}),
    dict(sources={"dtype": "bfloat16"}), dict(sources={"corpus_hash": "c2"}), dict(sources={"index_key": "i2"}),
    dict(sources={"fresh_docs": []}),
    dict(retrieval={"mode": "dense"}), dict(retrieval={"chunk_size": 1000}), dict(retrieval={"top_k": 5}),
    dict(adapter="adapter-1"),
    dict(few_shot=[QS[0]]),
    dict(few_shot_edit={"answer": "other answer"}), dict(few_shot_edit={"question": "other?"}),
    dict(few_shot_edit={"id": "other"}),
    dict(questions=QS[:4]), dict(questions=QS[::-1]), dict(question_edit={"question": "Another question?"}),
    dict(question_edit={"id": "other"}),
], ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items())[:60])
def test_answers_key_changes_with_every_input_it_lists(change):
    base_few = [QS[1]]
    kw = {"few_shot": base_few}
    if "arm" in change:
        kw["arm"] = change["arm"]
    if "cfg" in change:
        kw["cfg"] = _cfg(**change["cfg"])
    if "sources" in change:
        kw["sources"] = replace(SOURCES, **change["sources"])
    if "retrieval" in change:
        kw["sources"] = replace(SOURCES, retrieval={**SOURCES.retrieval, **change["retrieval"]})
    if "adapter" in change:
        kw["adapter"] = change["adapter"]
    if "few_shot" in change:
        kw["few_shot"] = change["few_shot"]
    if "few_shot_edit" in change:
        kw["few_shot"] = [replace(QS[1], **change["few_shot_edit"])]
    if "questions" in change:
        kw["questions"] = change["questions"]
    if "question_edit" in change:
        kw["questions"] = [replace(QS[0], **change["question_edit"]), *QS[1:]]
    assert _key(**kw) != _key(few_shot=base_few)


@pytest.mark.parametrize("change", [
    dict(cfg={"eval.limit": 3}), dict(cfg={"eval.bootstrap_resamples": 500}), dict(cfg={"eval.latency_sample": 0}),
    dict(cfg={"output_dir": "elsewhere"}), dict(cfg={"cache_dir": "/tmp/other-cache"}), dict(cfg={"run_id": "r1"}),
    dict(cfg={"finetune.lora_r": 4}), dict(cfg={"cost.usd_per_hour": 2.0}), dict(cfg={"domain": "other"}),
    dict(retrieval={"grid": [{"mode": "dense", "score": 0.5}]}),
    dict(few_shot_edit={"doc_ids": ("d7",), "kind": "b", "split": "train"}),
    dict(question_edit={"answer": "a different reference", "doc_ids": ("d8",), "answerable": False}),
], ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items())[:60])
def test_answers_key_ignores_what_answers_do_not_depend_on(change):
    """The settings outside seed/model/retrieval, extra retrieval facts, and the parts of a question the prompt
    never shows (its reference, documents, kind) leave the key alone: a re-run with another eval.limit or
    report setting reuses the answers."""
    base_few = [QS[1]]
    kw = {"few_shot": base_few}
    if "cfg" in change:
        kw["cfg"] = _cfg(**change["cfg"])
    if "retrieval" in change:
        kw["sources"] = replace(SOURCES, retrieval={**SOURCES.retrieval, **change["retrieval"]})
    if "few_shot_edit" in change:
        kw["few_shot"] = [replace(QS[1], **change["few_shot_edit"])]
    if "question_edit" in change:
        kw["questions"] = [replace(QS[0], **change["question_edit"]), *QS[1:]]
    assert _key(**kw) == _key(few_shot=base_few)


# ------------------------------------------------------------------------------------- the cache and resuming

class Producer:
    """produce(done, save) for answers_once: answers every expected question not in `done`, in batches of
    `batch`, handing each batch to `save`; raises KeyboardInterrupt after `stop_after` batches (a Ctrl-C)."""

    def __init__(self, expected, batch=2, stop_after=None, facts=None):
        self.expected, self.batch, self.stop_after, self.facts = expected, batch, stop_after, facts or {}
        self.calls, self.produced, self.done_seen = 0, [], None

    def __call__(self, done, save):
        self.calls += 1
        self.done_seen = dict(done)
        todo = [q for q in self.expected if q not in done]
        for n, start in enumerate(range(0, len(todo), self.batch)):
            if self.stop_after is not None and n == self.stop_after:
                raise KeyboardInterrupt
            batch = [_answer(q) for q in todo[start:start + self.batch]]
            self.produced += [a.question_id for a in batch]
            save(batch)
        new = {q: _answer(q) for q in todo}
        return [done.get(q) or new[q] for q in self.expected], self.facts


IDS = [q.id for q in QS]


def test_answers_are_produced_once_then_read_from_the_cache(tmp_path):
    path, ui = tmp_path / "answers" / "rag-abc.jsonl", UI(quiet=True)
    first = Producer(IDS, facts={"request_latency_s": [0.25]})
    answers, info = answers_once(path, IDS, "rag", first, ui, "cpu")
    assert [a.question_id for a in answers] == IDS and first.calls == 1 and first.done_seen == {}
    assert info["cached"] is False and info["resumed_with"] == 0 and info["request_latency_s"] == [0.25]
    assert info["seconds"] >= 0 and info["peak_memory_mb"] > 0
    assert not path.with_suffix(".partial.jsonl").exists()  # the finished file replaces the partial one
    assert [json.loads(line)["question_id"] for line in path.read_text().splitlines()] == IDS

    again = Producer(IDS)
    cached, info2 = answers_once(path, IDS, "rag", again, ui, "cpu")
    assert again.calls == 0
    assert cached == answers
    assert info2 == {**info, "cached": True}  # what producing cost is kept beside the answers
    assert ui.timings["answer:rag"] == 0.0


def test_an_interrupted_run_resumes_and_produces_only_the_missing_answers(tmp_path):
    path, ui = tmp_path / "rag-abc.jsonl", UI(quiet=True)
    crashed = Producer(IDS, batch=2, stop_after=1)
    with pytest.raises(KeyboardInterrupt):
        answers_once(path, IDS, "rag", crashed, ui, "cpu")
    partial = path.with_suffix(".partial.jsonl")
    assert not path.exists() and crashed.produced == IDS[:2]
    assert [json.loads(line)["question_id"] for line in partial.read_text().splitlines()] == IDS[:2]

    resumed = Producer(IDS, batch=2)
    answers, info = answers_once(path, IDS, "rag", resumed, ui, "cpu")
    assert set(resumed.done_seen) == set(IDS[:2])  # handed what was saved
    assert resumed.produced == IDS[2:]  # and generated only the rest
    assert [a.question_id for a in answers] == IDS and info["resumed_with"] == 2 and info["cached"] is False
    assert not partial.exists()


def test_a_torn_last_line_of_the_partial_file_is_dropped(tmp_path):
    path = tmp_path / "rag-abc.jsonl"
    partial = path.with_suffix(".partial.jsonl")
    good = "".join(json.dumps(asdict(_answer(q))) + "\n" for q in IDS[:2])
    torn = json.dumps(asdict(_answer(IDS[2])))[:25]  # a crash in the middle of writing the third answer
    partial.write_text(good + torn)
    assert set(saved_partial(partial, set(IDS))) == set(IDS[:2])

    producer = Producer(IDS)
    answers, info = answers_once(path, IDS, "rag", producer, UI(quiet=True), "cpu")
    assert producer.produced == IDS[2:] and info["resumed_with"] == 2
    assert [a.question_id for a in answers] == IDS


def test_saved_partial_keeps_only_expected_questions_and_skips_rows_of_another_shape(tmp_path):
    partial = tmp_path / "x.partial.jsonl"
    assert saved_partial(partial, set(IDS)) == {}  # no file: nothing saved
    rows = [asdict(_answer("q0")), asdict(_answer("gone")), {"question_id": "q1", "text": "old format"},
            asdict(_answer("q2", "first")), asdict(_answer("q2", "second"))]
    partial.write_text("".join(json.dumps(r) + "\n" for r in rows) + "\n")
    got = saved_partial(partial, set(IDS))
    assert set(got) == {"q0", "q2"} and got["q2"].answer == "second"  # the last saved answer of a question wins


def test_cached_answers_rejects_a_file_for_other_questions_or_of_another_version(tmp_path):
    path = tmp_path / "rag-abc.jsonl"
    assert cached_answers(path, IDS) is None  # no file
    path.write_text("".join(json.dumps(asdict(_answer(q))) + "\n" for q in IDS))
    assert [a.question_id for a in cached_answers(path, IDS)] == IDS
    assert cached_answers(path, IDS[:4]) is None  # fewer questions now
    assert cached_answers(path, IDS[::-1]) is None  # other order
    assert cached_answers(path, [*IDS[:4], "q99"]) is None  # another question
    path.write_text(json.dumps({**asdict(_answer("q0")), "new_field": 1}) + "\n")
    assert cached_answers(path, ["q0"]) is None  # written by another version
    path.write_text('{"question_id": "q0", "answ')
    assert cached_answers(path, ["q0"]) is None  # not JSON


def test_a_cache_file_for_other_questions_is_regenerated(tmp_path):
    path = tmp_path / "rag-abc.jsonl"
    path.write_text("".join(json.dumps(asdict(_answer(q, "stale"))) + "\n" for q in IDS[:3]))
    producer = Producer(IDS)
    answers, info = answers_once(path, IDS, "rag", producer, UI(quiet=True), "cpu")
    assert producer.calls == 1 and info["cached"] is False
    assert all(a.answer != "stale" for a in answers)


# -------------------------------------------------------------------------------------------------- answer_arms

CHUNKS = [Chunk(f"d{i}", f"Rule {i}", f"Rule {i}: the deadline is {i + 2} days.") for i in range(5)]
EVIDENCE = Evidence({c.doc_id: c.text for c in CHUNKS})


class TaggedGenerator:
    """A generator backend's product: answers `<adapter or base>: <last turn>` in batches; records what it
    generated; optionally raises KeyboardInterrupt before batch number `crash_at`."""

    def __init__(self, req, crash_at=None):
        self.tag = req.adapter_dir or "base"
        self.batch, self.crash_at, self.generated = req.batch_size, crash_at, []

    def generate(self, conversations, on_batch=None, skip=frozenset(), on_done=None):
        out = [None] * len(conversations)
        for n, start in enumerate(range(0, len(conversations), self.batch)):
            idx = [i for i in range(start, min(start + self.batch, len(conversations)))]
            if all(i in skip for i in idx):
                continue
            if n == self.crash_at:
                raise KeyboardInterrupt
            for i in idx:
                out[i] = SimpleNamespace(text=f"{self.tag}: {conversations[i][-1]['content']}", latency_s=0.01,
                                         prompt_tokens=5, generated_tokens=4)
                self.generated.append(i)
            if on_done:
                on_done(idx, [out[i] for i in idx])
        return out


@pytest.fixture
def toy_backend(monkeypatch):
    """Backend `toy_answering` (removed afterwards: the registry is module-global); `state` sets how the next
    generator crashes and collects every generator opened."""
    state = SimpleNamespace(crash_at=None, opened=[])

    def open_(req):
        gen = TaggedGenerator(req, state.crash_at)
        state.opened.append((req, gen))
        return gen

    backends.register(backends.Backend("toy_answering", "a toy backend for the answering tests", open_))
    yield state
    del backends._BACKENDS._items["toy_answering"]


class Floor:
    name, uses_retrieval = "always", False

    def __init__(self):
        self.calls = 0

    def answer(self, questions, on_batch=None):
        self.calls += 1
        return [_answer(q.id, "I don't know.") for q in questions]


def _messages(q, hits):
    return [{"role": "user", "content": q.question + " | " + " ".join(h.doc_id for h in hits)}]


def _run(tmp_path, floor):
    cfg = _cfg(**{"model.backend": "toy_answering", "model.batch_size": 2, "eval.latency_sample": 2,
                  "cache_dir": str(tmp_path / "cache")})
    specs = {
        "tuned_rag": ArmSpec("tuned_rag", "candidate", "toy tuned + retrieval",
                             lambda inp: GenerationArm(inp.generator, _messages, inp.retriever, inp.top_k),
                             uses_retrieval=True, tuned=True, recipe="toy_recipe"),
        "always": ArmSpec("always", "floor", "always refuses", lambda inp: floor, uses_model=False),
    }
    return RunSetup(cfg, UI(quiet=True), "cpu", torch.float32, [0, 1], specs)


def _answer_all(run):
    adapters = {("toy_recipe", s): SimpleNamespace(key=f"key-{s}", adapter_dir=f"adapter-{s}") for s in (0, 1)}
    inputs = {"retriever": ListRetriever(CHUNKS, [3, 1]), "top_k": 2, "few_shot": [], "train": [], "documents": {}}
    return answer_arms(run, "/nowhere/base-model", SOURCES, QS, {"q1"}, inputs, adapters, None, EVIDENCE)


def test_answer_arms_answers_each_arm_once_and_a_tuned_arm_once_per_seed(tmp_path, toy_backend):
    floor = Floor()
    out = _answer_all(_run(tmp_path, floor))
    assert set(out.costs) == {"tuned_rag", "tuned_rag@seed1", "always"}
    by = {}
    for r in out.rows:
        by.setdefault((r["arm"], r.get("seed")), []).append(r)
    assert set(by) == {("tuned_rag", 0), ("tuned_rag", 1), ("always", None)}
    for rows in by.values():
        assert [r["question_id"] for r in rows] == IDS
        assert [r["fresh"] for r in rows] == [float(q == "q1") for q in IDS]
    # each seed answered with its own adapter, the floor without a model
    assert [req.adapter_dir for req, _ in toy_backend.opened] == ["adapter-0", "adapter-1"]
    assert all(r["answer"].startswith("adapter-1: ") for r in by[("tuned_rag", 1)])
    assert all(r["answer"] == "I don't know." for r in by[("always", None)])
    # the retriever's top 2 reach the prompt, the retrieval metrics and, for the primary seed only, the contexts
    assert all(r["answer"].endswith("| d3 d1") and r["retrieved_ids"] == ["d3", "d1"] for r in by[("tuned_rag", 0)])
    assert "context_recall" in by[("tuned_rag", 0)][0] and "context_recall" not in by[("always", None)][0]
    assert set(out.contexts) == {("tuned_rag", q) for q in IDS} | {("always", q) for q in IDS}
    assert out.contexts[("tuned_rag", "q0")] == [CHUNKS[3].text, CHUNKS[1].text]
    # a model-backed candidate is timed one request at a time; a floor is not
    assert len(out.costs["tuned_rag"]["request_latency_s"]) == 2
    assert "request_latency_s" not in out.costs["always"]
    assert floor.calls == 1


def test_answer_arms_reuses_the_cache_on_a_second_run(tmp_path, toy_backend):
    first = _answer_all(_run(tmp_path, Floor()))
    toy_backend.opened.clear()
    floor = Floor()
    second = _answer_all(_run(tmp_path, floor))
    assert toy_backend.opened == [] and floor.calls == 0  # no generator opened, no arm asked
    assert all(c["cached"] for c in second.costs.values())
    assert second.rows == first.rows and second.contexts == first.contexts


def test_answer_arms_resumes_an_interrupted_arm_generating_only_the_missing_batches(tmp_path, toy_backend):
    toy_backend.crash_at = 2  # batches of 2: q0 q1 and q2 q3 are saved, then Ctrl-C
    with pytest.raises(KeyboardInterrupt):
        _answer_all(_run(tmp_path, Floor()))
    partials = list((tmp_path / "cache" / "answers").glob("tuned_rag-*.partial.jsonl"))
    assert len(partials) == 1
    assert [json.loads(line)["question_id"] for line in partials[0].read_text().splitlines()] == IDS[:4]

    toy_backend.crash_at, toy_backend.opened = None, []
    out = _answer_all(_run(tmp_path, Floor()))
    first_gen = toy_backend.opened[0][1]
    assert first_gen.generated == [4, 0, 0]  # q4 alone, then the 2-question latency sample one at a time
    assert out.costs["tuned_rag"]["resumed_with"] == 4
    assert [r["question_id"] for r in out.rows if r["arm"] == "tuned_rag" and r["seed"] == 0] == IDS


def test_answer_with_refuses_a_missing_or_unexpected_adapter(tmp_path, toy_backend):
    run = _run(tmp_path, Floor())
    inputs = {"retriever": None, "top_k": 1, "few_shot": [], "train": [], "documents": {}}
    with pytest.raises(PipelineError, match="'tuned_rag': adapter missing"):
        answer_with(run.specs["tuned_rag"], run.cfg, "/nowhere", torch.float32, "cpu", None, inputs, QS, None)
    with pytest.raises(PipelineError, match="'always': adapter unexpected"):
        answer_with(run.specs["always"], run.cfg, "/nowhere", torch.float32, "cpu", "adapter-0", inputs, QS, None)
    assert toy_backend.opened == []
