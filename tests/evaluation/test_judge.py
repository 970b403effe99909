"""The optional LLM judge against a local OpenAI-compatible stub: real ragas metrics, real HTTP, known answers."""

import logging
import socket

import pytest
from judge_stub import serve_stub  # tests/ is on sys.path (pyproject: pythonpath)

from rag_vs_ft.config import JudgeConfig
from rag_vs_ft.evaluation.judge import (
    JUDGE_METRICS_DOC,
    JudgeError,
    JudgeSample,
    judge_samples,
    same_family,
)

# instructor 1.3.2 compares modes against its own deprecated Mode.FUNCTIONS on every call
pytestmark = pytest.mark.filterwarnings("ignore:FUNCTIONS is deprecated:DeprecationWarning")

SECRET = "sk-test-VERY-SECRET-7f3a9c"

# The stub's judge: a statement is supported when it occurs verbatim in the context (see judge_stub.py).
SAMPLES = [
    # faithfulness: 1 of 2 statements in the context -> 0.5; factual correctness: tp=1 fp=1 fn=1 -> F1 0.5
    JudgeSample("What is the notice period?", "The notice period is 30 days. It can be waived by the tenant.",
                "The notice period is 30 days. Notice must be in writing.",
                ["Clause 4: the notice period is 30 days and runs from delivery.", "Clause 5: rent is due monthly."]),
    # everything supported -> 1.0 and 1.0
    JudgeSample("When is rent due?", "Rent is due monthly.", "Rent is due monthly.",
                ["Clause 5: rent is due monthly."]),
    # no retrieval -> faithfulness None; tp=1 fp=0 fn=1 -> P 1, R 0.5, F1 0.67
    JudgeSample("How large can a deposit be?", "Deposits are capped at two months' rent.",
                "Deposits are capped at two months' rent. They are returned within 14 days.", []),
]
EXPECTED = [{"faithfulness": 0.5, "factual_correctness": 0.5},
            {"faithfulness": 1.0, "factual_correctness": 1.0},
            {"faithfulness": None, "factual_correctness": 0.67}]


def _cfg(base_url: str, **kw) -> JudgeConfig:
    return JudgeConfig(base_url=base_url, model="stub-judge", **kw)


def test_judge_scores_with_the_stub(monkeypatch):
    monkeypatch.delenv("RAG_VS_FT_JUDGE_API_KEY", raising=False)
    done = []
    with serve_stub() as stub:
        scores = judge_samples(SAMPLES, _cfg(stub.base_url, max_concurrency=2), progress=done.append)
    assert scores == EXPECTED
    assert scores.failures == 0
    assert sum(done) == len(SAMPLES)
    chats = stub.chat_requests()
    # faithfulness: statements + verdicts (2 calls); factual correctness: claims + verdicts both ways (4 calls)
    assert len(chats) == (2 + 4) + (2 + 4) + 4
    for r in chats:
        assert r["method"] == "POST" and r["path"] == "/v1/chat/completions"
        assert r["body"]["model"] == "stub-judge"
        assert r["body"]["response_format"] == {"type": "json_object"}  # instructor's JSON mode
        assert r["body"]["messages"][0]["role"] == "system" and "json_schema" in r["body"]["messages"][0]["content"]
        assert r["headers"]["Authorization"] == "Bearer not-needed"  # no key set: placeholder for local servers


def test_only_the_configured_metrics_are_run():
    with serve_stub() as stub:
        scores = judge_samples(SAMPLES[:1], _cfg(stub.base_url, metrics=["factual_correctness"]))
    assert scores == [{"factual_correctness": 0.5}]
    assert len(stub.chat_requests()) == 4


def test_unparseable_judge_output_gives_none_and_is_counted():
    with serve_stub(mode="garbage") as stub:
        scores = judge_samples(SAMPLES, _cfg(stub.base_url))
    assert scores == [{"faithfulness": None, "factual_correctness": None}] * 3
    assert scores.failures == 5  # 2 + 2 + 1 (no faithfulness without contexts)
    # the first call of each metric was re-asked once with the validation error, then given up
    assert len(stub.chat_requests()) == 5 * 2


def test_unreachable_endpoint_raises_one_line_judge_error():
    with socket.socket() as s:  # a port that was free a moment ago and has no listener now
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}/v1"
    with pytest.raises(JudgeError) as err:
        judge_samples(SAMPLES, _cfg(base_url))
    msg = str(err.value)
    assert base_url in msg and "unreachable" in msg and "\n" not in msg


def test_disabled_config_raises():
    with pytest.raises(JudgeError, match="not configured"):
        judge_samples(SAMPLES, JudgeConfig())


def test_api_key_is_sent_but_never_returned_or_logged(monkeypatch, caplog):
    monkeypatch.setenv("MY_JUDGE_KEY", SECRET)
    caplog.set_level(logging.DEBUG)
    with serve_stub() as stub:
        scores = judge_samples(SAMPLES[:2], _cfg(stub.base_url, api_key_env="MY_JUDGE_KEY"))
    assert scores == EXPECTED[:2]
    assert stub.requests and all(r["headers"]["Authorization"] == f"Bearer {SECRET}" for r in stub.requests)
    for text in (repr(scores), str(scores), repr(scores.failures), repr(vars(scores)), caplog.text):
        assert SECRET not in text


def test_rejected_key_raises_judge_error_without_the_key(monkeypatch):
    monkeypatch.setenv("MY_JUDGE_KEY", SECRET)
    with serve_stub(mode="unauthorized") as stub, pytest.raises(JudgeError) as err:
        judge_samples(SAMPLES, _cfg(stub.base_url, api_key_env="MY_JUDGE_KEY"))
    assert "MY_JUDGE_KEY" in str(err.value) and "401" in str(err.value) and SECRET not in str(err.value)
    assert stub.chat_requests() == []  # the probe stopped it before any metric ran


@pytest.mark.parametrize("judge, candidate, same", [
    ("HuggingFaceTB/SmolLM2-360M-Instruct", "embedded:smollm2-135m-instruct", True),
    ("gpt-4o-mini", "smollm2", False),
    ("meta-llama/Llama-3.1-8B", "llama3.2:3b", True),
    ("Qwen/Qwen2.5-7B-Instruct", "qwen2.5:0.5b", True),
    ("mistralai/Mixtral-8x7B-Instruct-v0.1", "mistral:7b", False),
    ("dolphin-mistral:7b", "microsoft/Phi-3-mini-4k-instruct", False),
    ("o3-mini", "gpt-4o", True),
    ("/models/gemma-2-9b-it-Q4_K_M.gguf", "google/gemma-2-2b-it", True),
    ("claude-3-5-sonnet", "deepseek-ai/DeepSeek-R1", False),
])
def test_same_family(judge, candidate, same):
    assert same_family(judge, candidate) is same
    assert same_family(candidate, judge) is same


def test_metrics_doc_covers_every_configurable_metric():
    assert set(JUDGE_METRICS_DOC) == {"faithfulness", "factual_correctness"}
    assert all(doc.strip() and "\n" not in doc for doc in JUDGE_METRICS_DOC.values())
