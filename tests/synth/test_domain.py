"""synth.domain: a domain's questions — its qa.jsonl, or the set `qa_synth:` generates once into the cache."""

import json

import pytest

import rag_vs_ft.synth as synth
from rag_vs_ft.corpus.domain import DomainError
from rag_vs_ft.synth import SynthResult
from rag_vs_ft.synth.domain import load_domain

QA = {"id": "q1", "question": "What does d1 say?", "answer": "Some text.", "doc_ids": ["d1"], "answerable": True,
      "kind": "x"}


def _domain(tmp_path, text="some text about adapters", qa=True, synth_settings=None):
    d = tmp_path / "corpora" / "tiny"
    d.mkdir(parents=True, exist_ok=True)
    spec = "name: tiny\ndescription: A tiny domain\nsources:\n  - loader: jsonl\n    path: documents.jsonl\n"
    if synth_settings is not None:
        spec += "qa_synth:\n" + "".join(f"  {k}: {v}\n" for k, v in synth_settings.items())
    (d / "domain.yaml").write_text(spec)
    (d / "documents.jsonl").write_text(json.dumps({"id": "d1", "title": "T", "text": text}) + "\n")
    if qa:
        (d / "qa.jsonl").write_text(json.dumps(QA) + "\n")
    return tmp_path / "corpora"


@pytest.fixture
def synthesized(monkeypatch):
    """A stand-in generator: one question per document; records the settings it was called with."""
    calls = []

    def synthesize(docs, settings, progress=None):
        calls.append(settings)
        rows = [{**QA, "id": f"syn-{i:04d}", "question": f"What is in {d.id}?", "doc_ids": [d.id]}
                for i, d in enumerate(docs)]
        return SynthResult(rows, "extractive", {}, {})

    monkeypatch.setattr(synth, "synthesize", synthesize)
    return calls


def test_a_shipped_question_file_wins_over_qa_synth(tmp_path, synthesized):
    corpora = _domain(tmp_path, synth_settings={"max_questions": 5})
    dom = load_domain("tiny", corpora, tmp_path / "cache")
    assert (dom.name, dom.description) == ("tiny", "A tiny domain")
    assert [q.id for q in dom.questions] == ["q1"] and [d.id for d in dom.documents] == ["d1"]
    assert synthesized == []


def test_qa_synth_generates_once_per_documents_and_settings(tmp_path, synthesized):
    corpora = _domain(tmp_path, qa=False, synth_settings={"max_questions": 5, "chunk_size": 300})
    cache = tmp_path / "cache"
    dom = load_domain("tiny", corpora, cache)
    assert [(q.id, q.question) for q in dom.questions] == [("syn-0000", "What is in d1?")]
    assert len(synthesized) == 1 and synthesized[0].max_questions == 5 and synthesized[0].chunk_size == 300
    assert synthesized[0].cache_dir == cache
    assert not (corpora / "tiny" / "qa.jsonl").exists()  # generated into the cache, not the domain folder
    assert len(list((cache / "qa").glob("*.jsonl"))) == 1
    load_domain("tiny", corpora, cache)
    assert len(synthesized) == 1  # reused
    settings = {"max_questions": 5, "chunk_size": 300}
    _domain(tmp_path, text="other text about adapters", qa=False, synth_settings=settings)
    load_domain("tiny", corpora, cache)
    assert len(synthesized) == 2  # a changed document: generated again


def test_bad_qa_synth_settings_are_a_domain_error(tmp_path, synthesized):
    corpora = _domain(tmp_path, qa=False, synth_settings={"max_questions": 0})
    with pytest.raises(DomainError, match=r"^qa_synth\.max_questions: "):
        load_domain("tiny", corpora, tmp_path / "cache")
    (corpora / "tiny" / "domain.yaml").write_text((corpora / "tiny" / "domain.yaml").read_text()
                                                  .replace("max_questions: 0", "colour: blue"))
    with pytest.raises(DomainError, match=r"^qa_synth\.colour: "):
        load_domain("tiny", corpora, tmp_path / "cache")
    assert synthesized == []


def test_a_generator_failure_is_one_line(tmp_path, monkeypatch):
    def fail(docs, settings, progress=None):
        raise ValueError("no pairs found\nlong details")

    monkeypatch.setattr(synth, "synthesize", fail)
    corpora = _domain(tmp_path, qa=False, synth_settings={"max_questions": 5})
    with pytest.raises(DomainError) as exc:
        load_domain("tiny", corpora, tmp_path / "cache")
    assert str(exc.value) == "qa_synth: no pairs found"
