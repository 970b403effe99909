"""Question/answer pairs written by an LLM, one per chunk, from the local model or any OpenAI-compatible endpoint.

The prompt is versioned (PROMPT_VERSION goes into every row's provenance) because a changed prompt is a
different generator. The reply format is the plainest one a 135M model can follow ("Q: ...\nA: ..."); the
parser is lenient about markdown, numbering and one-line replies, and a reply it cannot read is dropped and
counted, never guessed at. What generation cost is measured, not estimated: wall time, calls and tokens
(the local generator's own counts, or the endpoint's `usage` field).
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from rag_vs_ft.models.openai_endpoint import Endpoint
from rag_vs_ft.synth.filters import Pair, SourceChunk
from rag_vs_ft.synth.wellformed import sentence

PROMPT_VERSION = "qa-v1"
KIND = "synthetic-llm"
SYSTEM = "You write quiz questions about a passage of text."
INSTRUCTION = ("Write ONE question that can be answered from the passage below alone, and its short answer "
               "(at most 20 words, taken from the passage). Reply in exactly this format:\nQ: <question>\nA: <answer>")
_Q, _A = r"(?:\bQ|\b[Qq]uestion)\s*\d*\s*[:.)-]", r"(?:\bA|\b[Aa]nswer)\s*\d*\s*[:.)-]"
_INLINE = re.compile(rf"{_Q}\s*(?P<q>.+?)\s*{_A}\s*(?P<a>.+?)\s*(?={_Q}|$)", re.DOTALL)
_ASKING = re.compile(r"^(?:what|which|who|whom|whose|when|where|why|how|is|are|can|does|do|did|must|may|should|"
                     r"will|under|according|in)\b", re.IGNORECASE)


class SynthError(RuntimeError):
    """Synthesis cannot run at all (endpoint unreachable, key rejected, unknown model); one line, no secrets."""


@dataclass
class Cost:
    seconds: float = 0.0  # wall time, model loading included: what the user waits for
    calls: int = 0  # generations asked for (local) or chat requests sent (endpoint)
    prompt_tokens: int = 0
    generated_tokens: int = 0
    failed_calls: int = 0  # requests that errored (dropped, like unparseable replies)

    def to_dict(self) -> dict:
        return {**asdict(self), "seconds": round(self.seconds, 3)}


def messages(chunk: SourceChunk) -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": f'{INSTRUCTION}\n\nPassage (from "{chunk.title}"):\n{chunk.text}'}]


def parse_reply(text: str) -> tuple[str, str] | None:
    """(question, answer) from "Q: ...\\nA: ..." (markdown, numbering and a single line tolerated) or from a
    reply whose first line is a question and second its answer; None when no such pair can be read."""
    text = re.sub(r"\*+|`+|(?<!\w)_+|_+(?!\w)|^\s*#+\s*", "", text or "", flags=re.MULTILINE).strip()  # markdown, not snake_case
    m = _INLINE.search(text)
    if m:
        question, answer = m.group("q"), m.group("a")
    else:  # no markers at all: a question line, then its answer line
        lines = [x.strip() for x in text.splitlines() if x.strip()]
        if re.search(_Q, text) or len(lines) < 2 or "?" not in lines[0]:
            return None
        question, answer = lines[0], lines[1]
    question = " ".join(question.split())
    if "?" in question:
        question = question[:question.index("?") + 1]
    elif _ASKING.match(question):
        question = question.rstrip(".: ") + "?"
    else:
        return None
    answer = " ".join(answer.strip().splitlines()[0].split()).strip("\"'“” ") if answer.strip() else ""
    if len(answer.split()) > 20:  # over the asked length: keep its first sentence, the filters judge the rest
        answer = re.split(r"(?<=[.!?])\s", answer, maxsplit=1)[0]
    return (question, answer) if len(question) > 1 and answer else None


class LocalBackend:
    """The local HF model (the embedded one by default), batched greedy generation."""

    def __init__(self, model: str, cache_dir: Path, max_new_tokens: int, batch_size: int = 8, dtype: str = "auto"):
        self.model, self.cache_dir, self.dtype = model, cache_dir, dtype
        self.max_new_tokens, self.batch_size = max_new_tokens, batch_size

    def complete(self, conversations: list, step: Callable[[int], None] | None = None) -> tuple[list[str | None], Cost]:
        from rag_vs_ft.models.generator import open_generator, pick_device, pick_dtype
        from rag_vs_ft.models.resolve import generator_path

        t0 = time.perf_counter()
        path, _ = generator_path(self.model, self.cache_dir)
        device = pick_device()
        gen = open_generator(path, pick_dtype(self.dtype, device), device, self.max_new_tokens, self.batch_size)
        gens = gen.generate(conversations, on_batch=step)
        cost = Cost(time.perf_counter() - t0, len(gens), sum(g.prompt_tokens for g in gens),
                    sum(g.generated_tokens for g in gens))
        return [g.text for g in gens], cost


class ApiBackend:
    """Any OpenAI-compatible chat endpoint. The key is read from the environment at call time and lives only
    in the client: never stored, logged or returned."""

    def __init__(self, base_url: str, model: str, api_key_env: str, max_new_tokens: int,
                 timeout_s: float = 120.0, max_concurrency: int = 4):
        self.endpoint = Endpoint(base_url, model, api_key_env, "synthesis endpoint", timeout_s)
        self.max_new_tokens, self.max_concurrency = max_new_tokens, max_concurrency

    def complete(self, conversations: list, step: Callable[[int], None] | None = None) -> tuple[list[str | None], Cost]:
        t0, cost = time.perf_counter(), Cost()
        client = self.endpoint.client()

        def one(msgs) -> tuple[str | None, int, int]:
            try:
                resp = client.chat.completions.create(model=self.endpoint.model, messages=msgs, temperature=0,
                                                      max_tokens=self.max_new_tokens)
            except Exception as exc:  # noqa: BLE001 - a dead endpoint stops the run, anything else costs one pair
                self._raise_if_fatal(exc)
                return None, 0, 0
            finally:
                if step:
                    step(1)
            usage = resp.usage
            text = resp.choices[0].message.content if resp.choices else None
            return text, getattr(usage, "prompt_tokens", 0) or 0, getattr(usage, "completion_tokens", 0) or 0

        try:
            results = [one(conversations[0])] if conversations else []  # first call alone: a bad endpoint fails fast
            with ThreadPoolExecutor(self.max_concurrency) as pool:
                results += list(pool.map(one, conversations[1:]))
        finally:
            client.close()
        cost.seconds, cost.calls = time.perf_counter() - t0, len(results)
        cost.prompt_tokens, cost.generated_tokens = sum(r[1] for r in results), sum(r[2] for r in results)
        cost.failed_calls = sum(r[0] is None for r in results)
        return [r[0] for r in results], cost

    def _raise_if_fatal(self, exc: Exception) -> None:
        message = self.endpoint.failure(exc)
        if message:
            raise SynthError(message) from None


def llm_pairs(chunks: list[SourceChunk], backend, step: Callable[[int], None] | None = None
              ) -> tuple[list[Pair], int, Cost]:
    """One candidate pair per chunk; returns the parsed pairs, how many replies were unparseable (failed calls
    included) and the measured cost."""
    replies, cost = backend.complete([messages(c) for c in chunks], step)
    pairs = []
    for chunk, reply in zip(chunks, replies):
        got = parse_reply(reply) if reply else None
        if got:
            # a model's short answer phrase, written as the sentence a reference answer should be
            pairs.append(Pair(got[0], sentence(got[1]), KIND, chunk.doc_id, chunk.chunk_id, chunk.text))
    return pairs, len(chunks) - len(pairs), cost
