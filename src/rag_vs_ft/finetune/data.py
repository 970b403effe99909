"""Training examples and rows: encoding (chat turns with the loss on the answer tokens only, asked exactly as the
arm will ask them; document pieces as plain language-model text), packing, batching, coverage. Which examples
each adapter trains on is finetune.recipes' business.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import torch

from rag_vs_ft.models.prompts import closed_book_messages
from rag_vs_ft.corpus.schema import Document, QAItem

IGNORE = -100


@dataclass
class Example:
    input_ids: list[int]
    labels: list[int]
    kind: str  # "document" or "qa" (or "packed")
    position_ids: list[int] | None = None  # packed rows: positions restart at 0 at every example
    members: int = 1  # training examples in this row (a packed row holds several)


def document_pieces(docs: list[Document], piece_chars: int) -> list[str]:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=piece_chars, chunk_overlap=0)
    return [f"{d.title}\n{piece}" for d in docs for piece in splitter.split_text(d.text)]


def encode_document(tok, text: str, max_length: int) -> Example:
    ids = tok(text, add_special_tokens=False)["input_ids"][: max_length - 1] + [tok.eos_token_id]
    return Example(ids, list(ids), "document")


def encode_chat(tok, msgs: list[dict], answer: str, max_length: int) -> Example:
    """A chat turn with the loss on the answer tokens only, asked exactly as the arm will ask it."""
    prompt = tok.apply_chat_template(msgs, add_generation_prompt=True, tokenize=False)
    full = tok.apply_chat_template(msgs + [{"role": "assistant", "content": answer}], tokenize=False)
    p_ids = tok(prompt, add_special_tokens=False)["input_ids"]
    f_ids = tok(full, add_special_tokens=False)["input_ids"][:max_length]
    labels = [IGNORE] * min(len(p_ids), len(f_ids)) + f_ids[len(p_ids):]
    return Example(f_ids, labels, "qa")


def encode_qa(tok, item: QAItem, max_length: int) -> Example:
    return encode_chat(tok, closed_book_messages(item), item.answer, max_length)


def length_grouped_batches(examples: list[Example], batch_size: int, seed: int) -> list[list[Example]]:
    """Shuffle, then sort within windows of 50 batches by length: batches of similar length waste little
    on padding (short QA turns are much cheaper than document pieces), while order stays random."""
    rng = random.Random(seed)
    items = examples[:]
    rng.shuffle(items)
    window = batch_size * 50
    batches = []
    for s in range(0, len(items), window):
        chunk = sorted(items[s:s + window], key=lambda e: len(e.input_ids))
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def pack(examples: list[Example], max_length: int) -> list[Example]:
    """Several examples per row, up to `max_length` tokens (first fit, longest first), so no step computes padding.
    Positions restart at 0 for every example: with no attention mask, transformers then builds a block-diagonal
    causal mask from them, so an example never attends to its neighbour — provided the model is called with
    `use_cache=False` (with a cache, transformers skips that mask). The first token of every example gets
    no label (it would be predicted from the previous example's last token); unpacked, it has none either,
    because the loss predicts token t+1 from token t."""
    rows: list[list[Example]] = []
    room: list[int] = []
    for e in sorted(examples, key=lambda e: -len(e.input_ids)):
        n = len(e.input_ids)
        i = next((i for i, r in enumerate(room) if r >= n), None)
        if i is None:
            rows.append([e])
            room.append(max_length - n)
        else:
            rows[i].append(e)
            room[i] -= n
    out = []
    for row in rows:
        ids, labels, pos = [], [], []
        for e in row:
            ids += e.input_ids
            labels += [IGNORE] + e.labels[1:]
            pos += list(range(len(e.input_ids)))
        out.append(Example(ids, labels, "packed", pos, members=len(row)))
    return out


def collate(batch: list[Example], pad_id: int) -> dict[str, torch.Tensor]:
    """Dynamic padding to the longest example of the batch (right side: training needs no generation). Packed
    rows carry position ids instead of an attention mask; padding is then one more (label-less) sequence."""
    packed = any(e.position_ids is not None for e in batch)
    width = max(len(e.input_ids) for e in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), IGNORE, dtype=torch.long)
    extra = torch.zeros((len(batch), width), dtype=torch.long)  # position ids (packed) or the attention mask
    for i, e in enumerate(batch):
        n = len(e.input_ids)
        ids[i, :n], labels[i, :n] = torch.tensor(e.input_ids), torch.tensor(e.labels)
        if packed:
            extra[i, :n] = torch.tensor(e.position_ids or list(range(n)))
            extra[i, n:] = torch.arange(width - n)
        else:
            extra[i, :n] = 1
    return {"input_ids": ids, "labels": labels, ("position_ids" if packed else "attention_mask"): extra}


def coverage(questions: list[QAItem], trained_doc_ids: set[str]) -> tuple[int, int]:
    """(answerable questions whose evidence the fine-tune trained on, answerable questions): a fine-tune can only
    know what it saw, so this bounds what a closed-book fine-tune can answer."""
    answerable = [q for q in questions if q.answerable and q.doc_ids]
    return sum(any(d in trained_doc_ids for d in q.doc_ids) for q in answerable), len(answerable)
