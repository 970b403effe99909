"""`rag-vs-ft domain synth NAME`: a qa.jsonl for a corpus that has none, answerable and unanswerable.

Pairs come from the extractive generator (default: deterministic, free, and the offline model is too small to
write good questions) or an LLM; all go through the same filters. Coverage beats depth, so documents are
taken round-robin under a per-document cap. Unanswerable questions are templates over topics whose words
never occur in the corpus, so "the documents do not cover this" is true by construction.
"""

from __future__ import annotations

import json
import random
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rag_vs_ft.config import EMBEDDED_LLM, RunConfig
from rag_vs_ft.corpus.schema import Document
from rag_vs_ft.text import content_words
from rag_vs_ft.store import atomic_write_text, jsonl_lines
from rag_vs_ft.synth.extractive import KINDS, corpus_names, extract_pairs
from rag_vs_ft.synth.filters import REASONS, Pair, SourceChunk, chunk_corpus, contained, filter_pairs
from rag_vs_ft.synth.llm import PROMPT_VERSION, ApiBackend, Cost, LocalBackend, SynthError, llm_pairs

REFUSAL = "The provided documents do not cover this."
UNANSWERABLE_KIND = "synthetic-unanswerable"
TEMPLATES = {"about": "What do the documents say about {}?", "howto": "How do I {}?", "what": "What is {}?"}


def _topics(*rows: str) -> list[tuple[str, str]]:
    """Entries "template: topic", separated by '|'."""
    return [tuple(t.strip().split(": ", 1)) for row in rows for t in row.split("|")]  # type: ignore[misc]


# A topic is used only when none of its content words (crudely stemmed) occurs anywhere in the corpus. The
# near-domain ones (a help desk could plausibly be asked them) go first, then plainly foreign ones.
NEAR_TOPICS = _topics(
    "howto: reset a forgotten password | what: the refund policy for annual subscriptions",
    "about: keyboard shortcuts | howto: export reports to a spreadsheet",
    "what: the price of the enterprise plan | about: push notifications on phones",
    "howto: enable dark mode | what: the office opening hours on holidays",
    "about: parking at the headquarters | howto: book a meeting room",
)
FAR_TOPICS = _topics(
    "about: sourdough bread fermentation | howto: tune a ukulele",
    "what: the ideal soil acidity for blueberries | about: marathon training plans",
    "howto: repot a bonsai tree | what: the boiling point of olive oil",
    "about: volcanic eruption forecasts | howto: knit a cable stitch",
    "what: the migration route of humpback whales | about: medieval castle architecture",
    "howto: descale an espresso machine | what: the tire pressure for a racing bicycle",
    "about: chess opening theory | howto: teach a puppy to sit | what: the lifespan of a honeybee queen",
    "howto: brew kombucha at home | what: the tallest waterfall in Venezuela",
    "about: origami crane folding | howto: wax a snowboard | what: the best season to plant tulip bulbs",
    "about: jazz saxophone improvisation | howto: sharpen a knife with a whetstone",
    "what: the melting point of beeswax | about: roller coaster physics | howto: pickle cucumbers",
    "what: the diet of a giant panda | about: surfing etiquette | howto: photograph the northern lights",
    "what: the gestation period of an elephant | about: watercolour painting techniques",
    "howto: patch a bicycle inner tube | what: the origin of the croissant",
    "about: penguin colonies in Antarctica | howto: caramelise onions",
    "what: the wingspan of an albatross | about: flamenco guitar strumming | howto: prune rose bushes",
    "what: the hibernation season of hedgehogs | about: sumo wrestling tournaments",
    "howto: ferment kimchi | what: the plot of Moby Dick | about: crochet amigurumi",
    "howto: clean a fish tank | what: the altitude of Kilimanjaro | about: curling stones",
    "howto: bake macarons | what: the lifespan of a tortoise",
)


class SynthSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    generator: Literal["extractive", "llm"] = "extractive"
    model: str = Field(EMBEDDED_LLM, description="local model (default: embedded), or the endpoint's model name")
    base_url: str | None = Field(None, description="OpenAI-compatible endpoint for generator=llm (unset: local)")
    api_key_env: str = Field("RAG_VS_FT_SYNTH_API_KEY", description="environment variable holding the key")
    max_questions: int = Field(300, ge=1, le=100000, description="answerable pairs at most")
    max_per_doc: int = Field(50, ge=1, description="answerable pairs per document at most (an FAQ page holds dozens)")
    unanswerable_share: float = Field(0.1, ge=0.0, le=1.0, description="unanswerable per answerable question")
    min_unanswerable: int = Field(3, ge=0)
    chunk_size: int = Field(500, ge=50, le=20000)
    chunk_overlap: int = Field(50, ge=0, le=5000)
    seed: int = 0
    max_new_tokens: int = Field(64, ge=8, le=1024)
    batch_size: int = Field(8, ge=1, le=256)
    timeout_s: float = Field(120.0, gt=0)
    cache_dir: Path = Field(default_factory=lambda: RunConfig().cache_dir)

    @model_validator(mode="after")
    def _consistent(self) -> "SynthSettings":
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        if self.base_url and self.generator != "llm":
            raise ValueError("base_url only applies to generator=llm")
        if self.base_url and self.model == EMBEDDED_LLM:
            raise ValueError("with base_url, set model to the endpoint's model name")
        return self


@dataclass
class SynthResult:
    rows: list[dict]
    generator: str  # "extractive" or "llm:<model>"
    rejected: dict[str, int]  # filter reasons, plus "unparseable" for LLM replies that could not be read
    cost: dict
    chunks: int = 0
    candidates: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        kinds: dict[str, int] = {}
        for r in self.rows:
            kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
        return {"generator": self.generator, "questions": len(self.rows), "kinds": kinds, "chunks": self.chunks,
                "candidates": self.candidates, "rejected": self.rejected, "cost": self.cost, "notes": self.notes}


def round_robin(groups: dict[str, list], per_group: int, limit: int) -> list:
    """The i-th item of every group before any (i+1)-th: a limit cuts depth, not coverage."""
    queues = [g[:per_group] for g in groups.values()]
    out = [q[i] for i in range(per_group) for q in queues if i < len(q)]
    return out[:limit]


def _by_doc(items: list) -> dict[str, list]:
    out: dict[str, list] = {}
    for x in items:
        out.setdefault(x.doc_id, []).append(x)
    return out


def _stem(word: str) -> str:
    for suffix, repl in (("ies", "y"), ("ing", ""), ("es", ""), ("ed", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: len(word) - len(suffix)] + repl
    return word


def corpus_stems(documents: list[Document]) -> set[str]:
    return {_stem(w) for d in documents for w in re.findall(r"[a-z0-9]+", f"{d.title}\n{d.text}".lower())}


def unanswerable_questions(documents: list[Document], n: int, seed: int) -> list[Pair]:
    """Up to n template questions over TOPICS none of whose words occurs in the corpus; order seeded within
    the near-domain and the foreign topics, near-domain first."""
    stems, rng, out = corpus_stems(documents), random.Random(seed), []
    for group in (NEAR_TOPICS, FAR_TOPICS):
        free = [t for t in group if not any(_stem(w) in stems for w in content_words(t[1]))]
        rng.shuffle(free)
        out += [Pair(TEMPLATES[tpl].format(topic), REFUSAL, UNANSWERABLE_KIND, answerable=False) for tpl, topic in free]
    return out[:n]


def extractive_candidates(chunks: list[SourceChunk], step: Callable[[int], None] | None = None) -> list[Pair]:
    """Every pair the extractive generator finds in the chunks, unfiltered (the fine-tune's knowledge QA uses
    this too, so questions written for evaluation and for training come from one generator)."""
    candidates, names = [], corpus_names([c.text for c in chunks])
    for i, c in enumerate(chunks):
        following = chunks[i + 1].text if not c.ends_doc and i + 1 < len(chunks) else ""
        candidates += extract_pairs(c, names, following)
        if step:
            step(1)
    return candidates


def _answerable(chunks: list[SourceChunk], s: SynthSettings, progress) -> tuple[list[Pair], dict, Cost, str, int]:
    """Kept answerable pairs, rejection counts, cost, generator label and number of candidates."""
    t0 = time.perf_counter()
    if s.generator == "extractive":
        candidates = extractive_candidates(chunks, progress("extracting questions", len(chunks)) if progress else None)
        kept, rejected = filter_pairs(candidates)
        best = {d: sorted(ps, key=lambda p: KINDS.index(p.kind)) for d, ps in _by_doc(kept).items()}
        return (round_robin(best, s.max_per_doc, s.max_questions), {**rejected, "unparseable": 0},
                Cost(seconds=time.perf_counter() - t0), "extractive", len(candidates))
    rng = random.Random(s.seed)  # which chunks are asked about: seeded, spread over documents
    groups = {d: rng.sample(cs, len(cs)) for d, cs in _by_doc(chunks).items()}
    picked = round_robin(groups, s.max_per_doc, s.max_questions)
    backend = (ApiBackend(s.base_url, s.model, s.api_key_env, s.max_new_tokens, s.timeout_s) if s.base_url else
               LocalBackend(s.model, s.cache_dir, s.max_new_tokens, s.batch_size))
    step = progress(f"asking {s.model}", len(picked)) if progress else None
    pairs, unparseable, cost = llm_pairs(picked, backend, step)
    kept, rejected = filter_pairs(pairs)
    return kept, {**rejected, "unparseable": unparseable}, cost, f"llm:{s.model}", len(picked)


def _row(i: int, p: Pair, generator: str) -> dict:
    prov = {"generator": generator if p.answerable else "template", "chunk_id": p.chunk_id, "source_doc": p.doc_id}
    if p.answerable and generator.startswith("llm:"):
        prov["prompt_version"] = PROMPT_VERSION
    return {"id": f"syn-{i:04d}", "question": p.question, "answer": p.answer,
            "doc_ids": [p.doc_id] if p.answerable else [], "answerable": p.answerable, "kind": p.kind,
            "origin": "synthetic", "provenance": prov}


def synthesize(documents: list[Document], settings: SynthSettings,
               progress: Callable[[str, int], Callable[[int], None]] | None = None) -> SynthResult:
    """Chunk, generate, filter, cap; then add unanswerable questions. Raises SynthError when the endpoint
    cannot be used at all."""
    chunks = chunk_corpus(documents, settings.chunk_size, settings.chunk_overlap)
    kept, rejected, cost, label, n_candidates = _answerable(chunks, settings, progress)
    want = 0 if settings.unanswerable_share == 0 else max(settings.min_unanswerable,
                                                           round(settings.unanswerable_share * len(kept)))
    unans, more = filter_pairs(unanswerable_questions(documents, want, settings.seed), [p.question for p in kept])
    rejected = {k: rejected[k] + more.get(k, 0) for k in (*REASONS, "unparseable")}
    every = kept + unans
    inside = set(contained([(p.question, p.answer) for p in every]))  # would be contamination in some split
    kept = [p for i, p in enumerate(every) if i not in inside and p.answerable]
    unans = [p for i, p in enumerate(every) if i not in inside and not p.answerable]
    rejected["contained"] = len(inside)
    notes = [] if len(unans) >= want else [
        f"only {len(unans)} of {want} unanswerable questions: the corpus mentions the other template topics"]
    if not kept:
        notes.append("no answerable pair survived the filters")
    rows = [_row(i, p, label) for i, p in enumerate(kept + unans, 1)]
    return SynthResult(rows, label, rejected, cost.to_dict(), len(chunks), n_candidates, notes)


def compose_qa(path: Path, rows: list[dict], mix_with_existing: bool) -> tuple[list[dict], int]:
    """The question file synth would write, and how many synthetic rows it dropped. Mixing keeps the existing
    non-synthetic rows (tagged origin "hand-written" when untagged) and replaces earlier synthetic ones; without
    mixing the file holds `rows` only. A synthetic row whose question sits inside a kept row (or the reverse)
    is dropped, since the two could land on both sides of the split. Synthetic ids are renumbered around the
    kept ones, so ids never collide."""
    kept: list[dict] = []
    if mix_with_existing and path.exists():
        try:
            rows_before = jsonl_lines(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise SynthError(f"{path}: {exc}; fix it before mixing") from None
        for _, row in rows_before:
            if row.get("origin") != "synthetic":
                kept.append({**row, "origin": row.get("origin", "hand-written")})
    dropped = 0
    if kept:
        pairs = [(str(r.get("question", "")), str(r.get("answer", ""))) for r in kept + rows]
        flagged = contained(pairs)
        clash = {i for i in flagged if i >= len(kept)}  # a synthetic question inside a kept row
        for i in (i for i in flagged if i < len(kept)):  # a kept question inside synthetic rows: drop those
            clash |= {len(kept) + j for j in range(len(rows)) if contained([pairs[i], pairs[len(kept) + j]])}
        fresh_rows = [r for j, r in enumerate(rows) if len(kept) + j not in clash]
        dropped, rows = len(rows) - len(fresh_rows), fresh_rows
    taken, fresh, k = {str(r.get("id")) for r in kept}, [], 0
    for row in rows:
        k += 1
        while f"syn-{k:04d}" in taken:
            k += 1
        fresh.append({**row, "id": f"syn-{k:04d}"})
    return kept + fresh, dropped


def write_qa(path: Path, rows: list[dict]) -> None:
    atomic_write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
