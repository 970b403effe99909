"""Optional LLM judge: ragas' collections metrics (Faithfulness, FactualCorrectness) against any
OpenAI-compatible endpoint (a hosted API or a local vLLM / llama.cpp / Ollama server).

ragas drives the endpoint through instructor in JSON mode: plain `POST {base_url}/chat/completions` with
`response_format={"type": "json_object"}`, the output's JSON schema in a system message and the few-shot
prompt as the user message. Every metric is a chain of such calls (extract statements or claims, then
NLI verdicts), so a judge that answers with invalid JSON fails a metric, not the run.
"""

from __future__ import annotations

import asyncio
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from rag_vs_ft.config import JudgeConfig
from rag_vs_ft.models.openai_endpoint import Endpoint

os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")  # ragas posts usage analytics unless told not to (read once)

JUDGE_METRICS_DOC = {
    "faithfulness": "Share of the answer's statements that the retrieved passages support, as judged by the "
                    "LLM (retrieval arms only; 1.0 = nothing made up beyond the context).",
    "factual_correctness": "F1 between the claims in the answer and the claims in the reference answer, each "
                           "side checked against the other by the LLM (1.0 = same facts, nothing missing or extra).",
}
REASK = 2  # instructor attempts per call: one re-ask with the validation error when the JSON is malformed


class JudgeError(RuntimeError):
    """The judge endpoint itself is unusable (unreachable, key rejected, unknown model): nothing can be scored."""


@dataclass
class JudgeSample:
    question: str
    response: str
    reference: str
    contexts: list[str] = field(default_factory=list)  # empty for arms without retrieval


class JudgeScores(list):
    """One dict per sample (a plain list) plus `failures`: metric calls whose judge output could not be used."""

    failures: int = 0


def judge_samples(samples: list[JudgeSample], cfg: JudgeConfig,
                  progress: Callable[[int], None] | None = None) -> JudgeScores:
    """Score every sample with each metric in cfg.metrics; a value is None when the metric does
    not apply (faithfulness without contexts), cannot be defined (no statements) or the judge's output was
    unusable (counted in .failures). Raises JudgeError when the endpoint cannot be used at all."""
    if not cfg.enabled:
        raise JudgeError("the LLM judge is not configured: set judge.base_url and judge.model")
    return asyncio.run(_judge_all(samples, cfg, progress))


async def _judge_all(samples: list[JudgeSample], cfg: JudgeConfig, progress) -> JudgeScores:
    from ragas.llms import llm_factory
    from ragas.metrics.collections import FactualCorrectness, Faithfulness

    client = _endpoint(cfg).async_client()  # the key lives only in this client, for this call
    try:
        await _probe(client, cfg)
        # strict=False: pydantic's lax mode accepts e.g. "verdict": "1", which small local judges often write.
        llm = llm_factory(cfg.model, client=client, max_retries=REASK, strict=False)
        metrics = {"faithfulness": Faithfulness(llm=llm), "factual_correctness": FactualCorrectness(llm=llm)}
        scores = JudgeScores({name: None for name in cfg.metrics} for _ in samples)
        slots = asyncio.Semaphore(cfg.max_concurrency)

        async def judge_one(i: int, sample: JudgeSample) -> None:
            for name in cfg.metrics:
                inputs = _inputs(name, sample)
                if not isinstance(inputs, dict):
                    scores[i][name] = inputs
                    continue
                async with slots:
                    try:
                        value = float((await metrics[name].ascore(**inputs)).value)
                        scores[i][name] = value if math.isfinite(value) else None  # NaN: no statements found
                    except Exception as exc:  # noqa: BLE001 - anything but a dead endpoint costs one score
                        _raise_if_fatal(exc, cfg)
                        scores.failures += 1
            if progress:
                progress(1)

        tasks = [asyncio.create_task(judge_one(i, s)) for i, s in enumerate(samples)]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:  # a JudgeError in one sample stops the others
                task.cancel()
        return scores
    finally:
        await client.close()


def _inputs(name: str, s: JudgeSample) -> dict | float | None:
    """The metric's ascore() arguments, or the value itself when no judge call can decide it."""
    if name == "faithfulness":
        if not s.contexts or not s.response.strip():
            return None
        return {"user_input": s.question, "response": s.response, "retrieved_contexts": list(s.contexts)}
    if not s.reference.strip():
        return None
    if not s.response.strip():
        return 0.0  # no claims: ragas' own F1 for an answer without claims
    return {"response": s.response, "reference": s.reference}


async def _probe(client, cfg) -> None:
    """One quick GET /models, so an unreachable endpoint or a rejected key fails in seconds, not after retries.
    Any other answer (404 from a server without /models, odd JSON) counts as reachable."""
    try:
        await client.with_options(max_retries=0, timeout=min(cfg.timeout_s, 30.0)).models.list()
    except Exception as exc:  # noqa: BLE001
        _raise_if_fatal(exc, cfg, probing=True)


def _endpoint(cfg: JudgeConfig) -> Endpoint:
    return Endpoint(cfg.base_url, cfg.model, cfg.api_key_env, "LLM judge", cfg.timeout_s)


def _raise_if_fatal(exc: Exception, cfg, probing: bool = False) -> None:
    """Turn endpoint-level failures into a one-line JudgeError naming base_url (never the key). While probing,
    a timeout means unreachable and a 404 only a server without /models."""
    message = _endpoint(cfg).failure(exc, timeout_is_fatal=probing, missing_model_is_fatal=not probing)
    if message:
        raise JudgeError(message) from None


# Model families a judge may share with a candidate. Matched against alphabetic tokens of the name, so
# "phi" does not match "dolphin"; aliases map spin-off names onto their family.
FAMILIES = ("smollm", "llama", "qwen", "mistral", "mixtral", "gemma", "phi", "gpt", "claude", "deepseek",
            "falcon", "olmo", "granite", "gemini", "command", "nemotron", "internlm", "starcoder", "pythia")
_ALIASES = {"qwq": "qwen", "chatgpt": "gpt", "codellama": "llama", "tinyllama": "llama", "olmoe": "olmo",
            "codegemma": "gemma", "codestral": "mistral", "ministral": "mistral"}
_NOISE = {"embedded", "local", "hf", "models", "model", "ollama", "gguf", "meta", "the"}


def model_family(name: str) -> str:
    """A normalized family token from the last path component of a model name (HF id, Ollama tag, path)."""
    last = name.strip().rstrip("/").rsplit("/", 1)[-1].lower()
    if re.match(r"o\d", last):  # OpenAI's o1/o3/o4 reasoning models
        return "gpt"
    tokens = re.findall(r"[a-z]+", last)
    for tok in tokens:
        tok = _ALIASES.get(tok, tok)
        if tok in FAMILIES:
            return tok
    rest = [t for t in tokens if t not in _NOISE]
    return rest[0] if rest else last


def same_family(judge_model: str, candidate_model: str) -> bool:
    """True when the judge would grade its own family's answers: such judges are known to favour them."""
    return model_family(judge_model) == model_family(candidate_model)
