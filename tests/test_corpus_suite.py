"""The corpus suite: `domain init -> synth -> validate -> run` on corpora in the shapes users bring (HTML with
wrapped headings and inline tags, nested Markdown, reStructuredText, a PDF, plain prose without a question),
through the CLI as the README tells a user to. validate's verdict must match run's, every generated question must
be a whole question, and plain prose must yield a usable test split without an LLM."""

from __future__ import annotations

import json
import re

import pytest
from corpus_shapes import PDF_FAQ, SHAPES, WRAPPED_HEADING

from conftest import cli
from rag_vs_ft.config import RunConfig
from rag_vs_ft.corpus.domain import DomainError
from rag_vs_ft.pipeline import PipelineError, prepare_domain
from rag_vs_ft.preflight import plan_questions, validate_domain

INTERROGATIVE = re.compile(r"\b(?:what|which|who|whom|whose|when|where|why|how|is|are|was|were|do|does|did|can|"
                           r"could|should|would|will|may|must|has|have)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    """{shape: (corpora dir, synthesized rows)} after `domain init` and `domain synth` through the CLI."""
    root = tmp_path_factory.mktemp("suite")
    corpora, out = root / "corpora", {}
    for shape, build in SHAPES.items():
        src = build(root / "src" / shape)
        code, _, err = cli("domain", "init", shape, "--from", str(src), "--corpora-dir", str(corpora))
        assert code == 0, f"init {shape}: {err}"
        code, stdout, err = cli("domain", "synth", shape, "--corpora-dir", str(corpora))
        assert code == 0, f"synth {shape}: {err}"
        assert "extractive generator" in stdout and "rejected:" in stdout
        rows = [json.loads(line) for line in (corpora / shape / "qa.jsonl").read_text().splitlines()]
        out[shape] = (corpora, rows)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("shape", list(SHAPES))
def test_init_synth_validate_run(shape, suite, tmp_path, cache_dir):
    corpora, rows = suite[shape]
    assert sum(r["answerable"] for r in rows) >= 5, f"{shape}: too few questions to compare anything"
    code, out, err = cli("domain", "validate", shape, f"corpora_dir={corpora}")
    assert code == 0, f"{shape}: {out}{err}"
    assert out.rstrip().splitlines()[-1].startswith("ok")
    run_cache = tmp_path / "cache"  # fresh index and answers; the converted model is shared (slow to rebuild)
    run_cache.mkdir()
    (cache_dir / "models").mkdir(parents=True, exist_ok=True)
    (run_cache / "models").symlink_to(cache_dir / "models")
    code, out, err = cli("run", f"domain={shape}", f"corpora_dir={corpora}", f"output_dir={tmp_path / 'reports'}",
                         f"cache_dir={run_cache}", "run_id=suite", "eval.arms=[prompt,rag]", "eval.limit=2",
                         "model.max_new_tokens=12", "eval.bootstrap_resamples=100", "eval.forgetting=false")
    assert code == 0, f"{shape}: {err[-3000:]}"
    report = (tmp_path / "reports" / shape / "suite" / "report.md").read_text()
    assert "**Recommendation: " in report


def test_no_generated_question_is_a_fragment(suite):
    checked = 0
    for shape, (_, rows) in suite.items():
        for r in rows:
            q, a = r["question"], r["answer"]
            first_clause = re.split(r"[;:,.]\s", q)
            assert q[0].isupper() or q[0] in "\"'“`", f"{shape}: {q!r} starts in lower case"
            assert q.endswith("?") and len(q.split()) >= 3, f"{shape}: {q!r}"
            assert any(INTERROGATIVE.match(c.strip()) for c in first_clause) or INTERROGATIVE.search(q.split(",")[0]), \
                f"{shape}: {q!r} is not a question"
            assert a[0].isupper() or a[0].isdigit() or a[0] in "\"'“`(", f"{shape}: answer {a!r}"
            assert re.search(r"[.!?][\"'’”)`]*$", a), f"{shape}: answer {a!r} does not end a sentence"
            checked += 1
    assert checked >= 200


def test_headings_are_read_whole(suite):
    from bs4 import BeautifulSoup

    from corpus_shapes import PYDOC

    _, rows = suite["html"]
    questions = {r["question"] for r in rows}
    assert WRAPPED_HEADING in questions  # wrapped in the HTML source, with <code> inside
    assert "How can I list every package that is on hold?" in questions
    assert not any(q.startswith(("mean in", "that is on", "some packages")) for q in questions)
    headings = set()
    for page in ("installed.html", "general.html"):
        soup = BeautifulSoup((PYDOC / "faq" / page).read_text(), "lxml")
        headings |= {" ".join(h.get_text(" ").replace("¶", "").split()) for h in soup.select("h1,h2,h3,h4")}
    faq = [r["question"] for r in rows if r["kind"] == "synthetic-faq" and r["doc_ids"][0] != "status-html"]
    assert len(faq) >= 12
    for q in faq:  # every FAQ question is a whole heading of the page (inline markup may differ in spacing)
        assert re.sub(r"\W", "", q) in {re.sub(r"\W", "", h) for h in headings}, q
    pdf_questions = {r["question"] for r in suite["pdf"][1]}
    assert {q for q, _ in PDF_FAQ} <= pdf_questions  # each wraps over two lines in the PDF
    md = {r["question"] for r in suite["markdown"][1]}
    assert "Why does tarn push stop with a lock error?" in md or "Why does `tarn push` stop with a lock error?" in md


def test_prose_without_questions_yields_a_usable_test_split(suite):
    _, rows = suite["prose"]
    answerable = [r for r in rows if r["answerable"]]
    assert len(answerable) >= 100
    kinds = {r["kind"] for r in answerable}
    assert "synthetic-prose" in kinds
    from rag_vs_ft.corpus.schema import QAItem

    items = [QAItem(r["id"], r["question"], r["answer"], tuple(r["doc_ids"]), r["answerable"], r["kind"])
             for r in rows]
    assert len(plan_questions(items, RunConfig(domain="prose")).splits["test"]) >= 20


def _run_refuses(cfg: RunConfig) -> bool:
    try:
        prepare_domain(cfg)
    except (PipelineError, DomainError):
        return True
    return False


def test_validate_agrees_with_run(suite, tmp_path):
    """On every corpus of the suite, and on copies broken the ways real QA files break (a test question inside a
    training row, a heading's tail, too few questions), under several split settings and seeds: validate says
    ok exactly when run goes ahead."""
    corpora, _ = suite["markdown"]
    variants = dict.fromkeys(SHAPES, None)
    base = (corpora / "markdown" / "qa.jsonl").read_text().splitlines()
    rows = [json.loads(x) for x in base]
    tail = {**rows[0], "id": "tail", "question": rows[0]["question"].split(" ", 3)[-1]}  # "...the last push?"
    variants["markdown-tail"] = [*rows, tail]
    variants["markdown-two"] = rows[:2]
    variants["markdown-copied"] = [*rows, {**rows[1], "id": "copy", "question": rows[1]["question"].upper()}]
    seen = {True: 0, False: 0}
    for name, qa in variants.items():
        if qa is not None:
            d = corpora / name
            d.mkdir(exist_ok=True)
            (d / "domain.yaml").write_text((corpora / "markdown" / "domain.yaml").read_text())
            (d / "qa.jsonl").write_text("".join(json.dumps(r) + "\n" for r in qa))
        for seed, few_shot, test in ((0, 3, 0.2), (1, 0, 0.2), (2, 5, 0.5), (3, 3, 0.05)):
            cfg = RunConfig.model_validate({"domain": name, "corpora_dir": corpora, "seed": seed,
                                            "eval": {"few_shot": few_shot},
                                            "split": {"train": round(0.9 - test, 2), "dev": 0.1, "test": test}})
            ok = validate_domain(name, cfg).ok
            assert ok == (not _run_refuses(cfg)), (name, seed, few_shot, test)
            seen[ok] += 1
    assert seen[True] and seen[False]  # both verdicts occurred: the agreement is not vacuous
