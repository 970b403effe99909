"""tuning: the prompt arm's few-shot count, chosen on dev questions only."""

from types import SimpleNamespace

import pytest

from rag_vs_ft.config import RunConfig
from rag_vs_ft.corpus.schema import QAItem
from rag_vs_ft.corpus.splits import few_shot_examples
from rag_vs_ft.tuning import choose_few_shot, few_shot_stage


def _q(i, question, answer="x", kind="k", answerable=True):
    return QAItem(f"q{i}", question, answer, ("d",) if answerable else (), answerable, kind)


def test_few_shot_count_is_chosen_on_dev_only_and_ties_go_to_fewer_examples():
    train = [_q(i, f"Does licence {i} allow use?", "Yes.") for i in range(8)]
    dev = [_q(10 + i, f"Does licence {10 + i} allow use?", "Yes.") for i in range(4)]
    seen = []

    def answer(examples, questions):  # more than two examples teach it the answer style
        seen.append([q.id for q in questions])
        return ["Yes." if len(examples) > 2 else "I am not sure." for _ in questions]

    n, rows = choose_few_shot([0, 3, 6], train, dev, answer)
    assert n == 3 and [r["few_shot"] for r in rows] == [0, 3, 6] and rows[1]["dev_headline"] == 1.0
    assert all(ids == [q.id for q in dev] for ids in seen)  # only dev questions were ever answered


class Spec:
    """A prompt arm stand-in: with more than two examples it answers in the style the dev questions expect."""

    def __init__(self):
        self.built = []

    def make(self, inputs):
        self.built.append(inputs)
        n = len(inputs.few_shot)

        class Arm:
            def answer(self, questions):
                return [SimpleNamespace(answer="Yes." if n > 2 else "I am not sure.") for _ in questions]

        return Arm()


@pytest.fixture
def opened(monkeypatch):
    from rag_vs_ft.models import generator

    calls = []
    monkeypatch.setattr(generator, "open_generator", lambda *a, **k: calls.append(a) or "the generator")
    return calls


TRAIN = [_q(i, f"Does licence {i} allow use?", "Yes.", kind="yes_no" if i % 2 else "other") for i in range(8)]
DEV = [_q(10 + i, f"Does licence {10 + i} allow use?", "Yes.") for i in range(5)]


def _stage(cfg, tmp_path, dev=DEV, meta=None, spec=None):
    return few_shot_stage(cfg, spec or Spec(), "base", "float32", "cpu", TRAIN, dev, meta or {"id": "m"}, tmp_path)


def test_a_configured_count_or_no_dev_questions_decides_without_a_model(tmp_path, opened):
    examples, info = _stage(RunConfig(eval={"few_shot": 2}), tmp_path)
    assert examples == few_shot_examples(TRAIN, 2) and len({q.kind for q in examples}) == 2  # kinds interleaved
    assert info == {"chosen": 2, "selected": False, "reason": "set by eval.few_shot"}
    examples, info = _stage(RunConfig(eval={"few_shot_grid": [1, 4]}), tmp_path, dev=[])
    assert len(examples) == 4 and info["chosen"] == 4 and info["reason"] == "no dev questions"
    assert opened == [] and not (tmp_path / "tuning").exists()


def test_the_choice_is_made_on_at_most_few_shot_dev_questions_and_cached(tmp_path, opened):
    cfg = RunConfig(eval={"few_shot_grid": [0, 3, 6], "few_shot_dev": 4})
    spec = Spec()
    examples, info = _stage(cfg, tmp_path, spec=spec)
    assert info["chosen"] == 3 and info["selected"] and info["n_dev"] == 4 and examples == few_shot_examples(TRAIN, 3)
    assert [r["few_shot"] for r in info["grid"]] == [0, 3, 6] and [r["n"] for r in info["grid"]] == [4, 4, 4]
    assert [len(i.few_shot) for i in spec.built] == [0, 3, 6]
    assert all(i.generator == "the generator" and i.train == TRAIN and i.retriever is None for i in spec.built)
    assert len(opened) == 1 and len(list((tmp_path / "tuning").glob("few-shot-*.json"))) == 1
    again = Spec()
    assert _stage(cfg, tmp_path, spec=again) == (examples, info) and again.built == [] and len(opened) == 1
    _stage(cfg, tmp_path, meta={"id": "another model"})  # another model: chosen again
    assert len(opened) == 2 and len(list((tmp_path / "tuning").glob("few-shot-*.json"))) == 2
