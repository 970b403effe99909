"""Synthetic QA: extractive pairs, filters, unanswerable templates, the LLM path (stub endpoint and, tiny, the
real embedded model) and writing qa.jsonl."""

from __future__ import annotations

import json
import re
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rag_vs_ft.corpus.domain import parse_qa
from rag_vs_ft.corpus.schema import Document
from rag_vs_ft.text import content_words
from rag_vs_ft.synth import SynthSettings, compose_qa, synthesize, write_qa
from rag_vs_ft.synth.extractive import extract_pairs
from rag_vs_ft.synth.filters import Pair, chunk_corpus, filter_pairs, supported_by
from rag_vs_ft.synth.llm import PROMPT_VERSION, parse_reply
from rag_vs_ft.synth.run import REFUSAL

FAQ = """# Acme Cloud FAQ

## How do I rotate an API token?

Open the console, choose Settings and press Rotate token. The old token stops working after 24 hours.

## What is the refund window for annual plans?

Annual plans can be refunded within 30 days of purchase. Monthly plans are not refundable.

## Can I run Acme Cloud on premises?

Yes. The self-hosted edition runs on any Linux server with Docker installed.

Storage limits
--------------

Each workspace stores up to 50 GB of files. Larger workspaces need the Business tier.

Q: Why does the sync client stop at 99 percent?
A: The sync client waits for the server checksum before it marks a transfer complete.
"""

GLOSSARY = """Glossary

"Workspace" means a shared folder that belongs to one billing account.

A quota is the amount of storage that a workspace may use each month.

'Seat': a named user who may sign in to a workspace.

Retention period is defined as the number of days that deleted files are kept.

- Owner: the person who created the workspace and pays for it.
- Guest: a user who can read files but cannot edit them.
"""

TERMS = """# Terms of Service

1. The customer shall pay all invoices within 30 days of the invoice date.
2. The provider shall notify the customer of any security incident within 72 hours.
3. Each party must keep the other party's confidential information secret.
4. The provider shall not be liable for indirect damages.
"""

DOCS = [Document("faq", "Acme Cloud FAQ", FAQ), Document("glossary", "Glossary", GLOSSARY),
        Document("terms", "Terms of Service", TERMS),
        # repeats one FAQ entry: its question must be dropped as a duplicate
        Document("faq-copy", "FAQ excerpt", "## How do I rotate an API token?\n\nPress Rotate token in the console.")]
SECRET = "sk-test-SECRET-4242"


def _chunk_texts(settings: SynthSettings) -> dict[str, str]:
    return {c.chunk_id: c.text for c in chunk_corpus(DOCS, settings.chunk_size, settings.chunk_overlap)}


def test_extractive_pairs_are_deterministic_grounded_and_typed(tmp_path):
    settings = SynthSettings(cache_dir=tmp_path)
    first, second = synthesize(DOCS, settings), synthesize(DOCS, settings)
    assert first.rows == second.rows and first.generator == "extractive"
    by_q = {r["question"]: r for r in first.rows}
    assert by_q["How do I rotate an API token?"]["answer"] == \
        "Open the console, choose Settings and press Rotate token."
    assert by_q["Can I run Acme Cloud on premises?"]["answer"].startswith("Yes. The self-hosted edition")
    assert by_q["Why does the sync client stop at 99 percent?"]["kind"] == "synthetic-faq"
    assert by_q['What does the section "Storage limits" say?']["answer"] == \
        "Each workspace stores up to 50 GB of files."
    assert by_q['What does "Workspace" mean?']["answer"] == \
        '"Workspace" means a shared folder that belongs to one billing account.'  # a whole sentence
    assert by_q["What is a quota?"]["kind"] == "synthetic-definition"
    assert 'What does "Owner" mean?' in by_q and 'What does "Retention period" mean?' in by_q
    assert by_q["What must the customer pay?"] == {**by_q["What must the customer pay?"],
                                                   "answer": "The customer shall pay all invoices within 30 days "
                                                             "of the invoice date.",
                                                   "kind": "synthetic-clause", "doc_ids": ["terms"]}
    assert not any("liable" in q for q in by_q)  # "shall not be": no clean question, none emitted
    texts = _chunk_texts(settings)
    for r in first.rows:
        prov = r["provenance"]
        assert r["origin"] == "synthetic" and re.fullmatch(r"syn-\d{4}", r["id"])
        if r["answerable"]:
            assert prov["generator"] == "extractive" and prov["source_doc"] == r["doc_ids"][0]
            assert prov["chunk_id"].startswith(r["doc_ids"][0] + "#") and "prompt_version" not in prov
            assert supported_by(r["answer"], texts[prov["chunk_id"]])
    assert first.rejected["duplicate"] >= 1  # the FAQ copy
    assert len({r["question"].lower() for r in first.rows}) == len(first.rows)
    assert first.cost["calls"] == 0 and first.cost["prompt_tokens"] == 0


def test_unanswerable_questions_avoid_corpus_vocabulary(tmp_path):
    result = synthesize(DOCS, SynthSettings(cache_dir=tmp_path, unanswerable_share=0.5))
    answerable = [r for r in result.rows if r["answerable"]]
    unanswerable = [r for r in result.rows if not r["answerable"]]
    assert len(unanswerable) == max(3, round(0.5 * len(answerable)))
    vocab = {w for d in DOCS for w in re.findall(r"[a-z0-9]+", (d.title + " " + d.text).lower())}
    for r in unanswerable:
        assert r["answer"] == REFUSAL and r["doc_ids"] == [] and r["kind"] == "synthetic-unanswerable"
        assert r["question"].endswith("?") and r["provenance"]["generator"] == "template"
        topic_words = set(content_words(r["question"])) - {"documents", "say"}  # the template's own words
        assert topic_words and not topic_words & vocab, r["question"]
    assert not any("refund" in r["question"] or "plan" in r["question"] for r in unanswerable)


def test_filters_reject_with_the_right_reason():
    chunk = TERMS
    good = Pair("What must the customer pay?", "All invoices within 30 days of the invoice date.", "k", "terms",
                "terms#0", chunk)
    pairs = [
        good,
        Pair("Is it so that the provider shall notify the customer of any security incident within 72 hours?",
             "Yes, it is so.", "k", "terms", "terms#0", chunk),  # copied statement
        Pair("When must the customer pay invoices?", "Within 90 days.", "k", "terms", "terms#0", chunk),  # wrong number
        Pair("What happens to late payers?", "A late fee of ten euros applies.", "k", "terms", "terms#0", chunk),
        Pair("What must the customer pay ?", "All invoices.", "k", "terms", "terms#0", chunk),  # same question
        Pair("What must the customer pay each month then?", "All invoices.", "k", "terms", "terms#0", chunk),
        Pair("What must the customer pay each month?", "All invoices.", "k", "terms", "terms#0", chunk),  # Jaccard
        Pair("Customer pays?", "All invoices.", "k", "terms", "terms#0", chunk),  # too short
        Pair("What must the provider notify", "The customer.", "k", "terms", "terms#0", chunk),  # no '?'
        Pair("How to pay all invoices within 30 days?", "Pay all invoices within 30 days.", "k", "terms", "terms#0",
             chunk),  # the answer only repeats the question
        Pair("Invoices are due within 30 days?", "Within 30 days.", "k", "t", "t#0",
             "Invoices are due within 30 days."),  # a statement with a question mark
        Pair("in the invoice date of the customer?", "Within 30 days.", "k", "terms", "terms#0", chunk),  # a tail
        Pair("What must the provider notify?", "the customer of any security", "k", "terms", "terms#0", chunk),
    ]
    kept, counts = filter_pairs(pairs)
    assert [p.question for p in kept] == [good.question, "What must the customer pay each month then?"]
    assert counts == {"length": 2, "fragment": 2, "incomplete": 1, "copied": 1, "unsupported": 2, "echo": 1,
                      "duplicate": 2}
    # an FAQ heading restated verbatim is a question of the chunk, not a copied statement
    faq = Pair("How do I rotate an API token?", "Press Rotate token.", "k", "faq", "faq#0", FAQ)
    assert filter_pairs([faq])[0] == [faq]
    # unanswerable pairs have no chunk: only length and duplicates apply
    unans = Pair("How do I tune a ukulele?", REFUSAL, "u", answerable=False)
    assert filter_pairs([unans, unans])[1]["duplicate"] == 1


def test_extract_pairs_finds_nothing_in_prose_without_facts():
    chunk = chunk_corpus([Document("p", "Prose", "It is a nice day. We went out and it rained. Then we left.")],
                         500, 50)[0]
    assert extract_pairs(chunk) == []


def test_write_qa_mixes_with_hand_written_rows(tmp_path):
    path = tmp_path / "qa.jsonl"
    hand = [{"id": "h1", "question": "What is a quota?", "answer": "Storage a workspace may use.",
             "doc_ids": ["glossary"], "answerable": True, "kind": "manual"},
            {"id": "syn-0001", "question": "Who owns a workspace?", "answer": "The person who created it.",
             "doc_ids": ["glossary"], "answerable": True, "kind": "manual", "origin": "hand-written"},
            {"id": "syn-0009", "question": "Old synthetic?", "answer": "x", "doc_ids": ["faq"], "answerable": True,
             "kind": "synthetic-faq", "origin": "synthetic"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in hand) + "\n")
    result = synthesize(DOCS, SynthSettings(cache_dir=tmp_path))
    assert "What is a quota?" in {r["question"] for r in result.rows}
    written, dropped = compose_qa(path, result.rows, mix_with_existing=True)
    write_qa(path, written)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert rows == written
    assert [r["id"] for r in rows[:2]] == ["h1", "syn-0001"] and rows[0]["origin"] == "hand-written"
    assert "Old synthetic?" not in {r["question"] for r in rows}
    # the synthetic "What is a quota?" would repeat the hand-written question across the split: dropped
    assert dropped == 1 and [r["question"] for r in rows].count("What is a quota?") == 1
    assert len({r["id"] for r in rows}) == len(rows) == 2 + len(result.rows) - dropped
    items = parse_qa(path, {d.id for d in DOCS})
    assert len(items) == len(rows) and sum(not i.answerable for i in items) >= 3
    write_qa(path, compose_qa(path, result.rows, mix_with_existing=False)[0])
    assert len(parse_qa(path, {d.id for d in DOCS})) == len(result.rows)


@pytest.mark.parametrize("reply, expected", [
    ("Q: What is a quota?\nA: The storage a workspace may use.", ("What is a quota?", "The storage a workspace may use.")),
    ("**Q:** What is a quota?\n**A:** storage", ("What is a quota?", "storage")),
    ("1. Question: What is a quota? Answer: storage per month", ("What is a quota?", "storage per month")),
    ("Q: what is a quota\nA: storage", ("what is a quota?", "storage")),
    ("What is a quota?\nThe storage limit.", ("What is a quota?", "The storage limit.")),
    ("Here is a question about quotas.", None),
    ("Q: What is a quota?\nA:", None),
    ("## Q: What does max_retries do?\n## A: sets `max_retries` per call", ("What does max_retries do?",
                                                                        "sets max_retries per call")),
    ("", None),
])
def test_parse_reply_tolerates_small_model_formats(reply, expected):
    assert parse_reply(reply) == expected


@contextmanager
def chat_stub():
    """A minimal OpenAI-compatible chat endpoint: a Q/A reply per known passage, prose otherwise."""
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append({"headers": dict(self.headers), "body": body})
            passage = body["messages"][-1]["content"]
            if "invoices" in passage:
                content = "**Q:** When must the customer pay all invoices?\n**A:** within 30 days of the invoice date"
            elif "quota" in passage:
                content = "Question: What is a quota? Answer: the amount of storage that a workspace may use"
            else:
                content = "I am happy to help with that passage."
            data = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                               "choices": [{"index": 0, "finish_reason": "stop",
                                            "message": {"role": "assistant", "content": content}}],
                               "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_llm_path_against_a_stub_endpoint(tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_VS_FT_SYNTH_API_KEY", SECRET)
    with chat_stub() as (base_url, seen):
        settings = SynthSettings(generator="llm", base_url=base_url, model="stub-model", cache_dir=tmp_path)
        result = synthesize(DOCS, settings)
    n_chunks = len(chunk_corpus(DOCS, settings.chunk_size, settings.chunk_overlap))
    assert len(seen) == n_chunks and all(s["headers"]["Authorization"] == f"Bearer {SECRET}" for s in seen)
    assert seen[0]["body"]["temperature"] == 0 and seen[0]["body"]["model"] == "stub-model"
    assert result.generator == "llm:stub-model"
    assert result.cost["calls"] == n_chunks and result.cost["prompt_tokens"] == 11 * n_chunks
    assert result.cost["generated_tokens"] == 7 * n_chunks and result.cost["seconds"] > 0
    assert result.rejected["unparseable"] == n_chunks - 2
    answerable = [r for r in result.rows if r["answerable"]]
    assert {r["question"] for r in answerable} == {"When must the customer pay all invoices?", "What is a quota?"}
    for r in answerable:
        assert r["kind"] == "synthetic-llm" and r["provenance"]["prompt_version"] == PROMPT_VERSION
        assert r["provenance"]["generator"] == "llm:stub-model" and r["provenance"]["chunk_id"]
    path = tmp_path / "qa.jsonl"
    write_qa(path, result.rows)
    for text in (json.dumps(result.summary()), json.dumps(result.rows), path.read_text(), repr(settings),
                 settings.model_dump_json()):
        assert SECRET not in text


def test_settings_refuse_inconsistent_endpoint_options():
    with pytest.raises(ValueError, match="model name"):
        SynthSettings(generator="llm", base_url="http://127.0.0.1:1/v1")
    with pytest.raises(ValueError, match="generator=llm"):
        SynthSettings(base_url="http://127.0.0.1:1/v1", model="m")


def test_real_embedded_model_end_to_end(tmp_path, cache_dir):
    """Two chunks, two generations of at most 48 tokens: it runs and reports its cost (content not judged)."""
    docs = [Document("terms", "Terms of Service", TERMS), Document("glossary", "Glossary", GLOSSARY)]
    settings = SynthSettings(generator="llm", max_new_tokens=48, batch_size=2, cache_dir=cache_dir)
    assert len(chunk_corpus(docs, settings.chunk_size, settings.chunk_overlap)) == 2
    result = synthesize(docs, settings)
    assert result.generator == "llm:embedded:smollm2-135m-instruct"
    assert result.cost["calls"] == 2 and result.cost["generated_tokens"] > 0 and result.cost["prompt_tokens"] > 0
    assert result.cost["seconds"] > 0
    answerable = [r for r in result.rows if r["answerable"]]
    assert len(answerable) + sum(result.rejected.values()) == 2
    assert all(r["provenance"]["prompt_version"] == PROMPT_VERSION for r in answerable)
