"""Deterministic question/answer pairs read off the structure of a chunk, no model needed.

Documentation and regulation text already contains questions in disguise: FAQ headings that are questions,
definitions ("'X' means Y", "X is a Y"), numbered obligations ("1. The controller shall notify ..."). Every
answer is a span of the chunk itself, so it is grounded by construction, and the same corpus always yields
the same pairs. Headings with a body give a weak fallback question only when nothing better came from them.
"""

from __future__ import annotations

import re

from rag_vs_ft.evaluation.grounding import STOPWORDS
from rag_vs_ft.synth.filters import Pair, SourceChunk

KINDS = ("synthetic-faq", "synthetic-definition", "synthetic-clause", "synthetic-section")  # best first
MAX_ANSWER_WORDS = 30
CLAUSE_WORDS = 25  # a clause answer longer than this is not a clean short span
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")
_UNDERLINE = re.compile(r"^([=\-~^*+#])\1{2,}$")
_ENUM = re.compile(r"^(?:\(?\d{1,3}[.)]|\([a-z]{1,4}\)|[-*•+])\s+")
_NUMBERED = re.compile(r"^\(?\d{1,3}[.)]\s+")
_INLINE_ENUM = re.compile(r"(?<=[.;:])\s+(?=\(?\d{1,3}[.)]\s+\S)")  # "... 22. 3. The controller" in flattened text
_LEAD = re.compile(r"^(?:q\d*|question|a|answer)\s*[:.)]\s*|^\d+(?:\.\d+)*[.)]\s+", re.IGNORECASE)
_QUOTED = r"[\"'‘“`]{1,2}(?P<term>[^\"'’”`]{1,60}?)[\"'’”`]{1,2}"
_PLAIN = r"(?P<plain>[A-Z][\w-]*(?:\s+[\w-]+){0,3}?)"
_MEANS = re.compile(rf"^(?:{_QUOTED}|{_PLAIN})\s*,?\s+(?:means|is defined as|refers to|denotes)\s+(?P<defn>.+)$")
_GLOSS = re.compile(rf"^(?:{_QUOTED}|{_PLAIN})\s*(?::|—|–|\s-)\s+(?P<defn>.+)$")
_IS_A = re.compile(r"^(?:(?P<art>A|An|The)\s+(?=[a-z])|(?=[A-Z]))(?P<term>[A-Za-z][\w-]*(?:\s+[\w-]+){0,3}?)\s+(?:is|are)\s+"
                   r"(?P<defn>(?:a|an|the)\s+.+)$")
_CLAUSE = re.compile(r"^(?P<subj>[A-Z][\w'-]*(?:\s+[\w'-]+){0,5}?)\s+(?:shall|must)\s+(?P<verb>[a-z]+)\s+"
                     r"(?P<rest>.+)$")
_NOT_TERMS = set("it this that there these those he she they we you which what here each such one its our your my "
                 "their his her note warning example tip important caution default see source step".split())
_NOT_VERBS = set("be not have also only then still always never either however therefore thus further "
                 "nevertheless moreover accordingly furthermore likewise equally".split())
_PREPS = set("to in on for with from within by at into of as without up out off down back over".split())  # + particles
# "shall comply with X" asks "What must ... comply with?"; after other verbs a leading preposition is an idiom
# ("put in place") or an adverbial ("submit to ENISA every three months ..."): no clean question.
_PREP_VERBS = {"apply": "to", "comply": "with", "cooperate": "with", "adhere": "to", "participate": "in",
               "contribute": "to", "belong": "to", "respond": "to", "refer": "to", "consist": "of", "rely": "on"}
_NOT_SUBJECTS = set("those these it they such that its their he she we his her which where when if in for by on with".split())
_DANGLING = set("and or but nor of to in on for by with from at as into the a an because including whether unless "
                "while where which that who namely such than and/or if when its their".split())
_ABBREV = re.compile(r"(?:\b(?:e\.g|i\.e|etc|cf|vs|art|no|nr|para|mr|ms|dr|approx|incl)|\b[A-Za-z])\.$", re.IGNORECASE)


def complete_text(chunk: SourceChunk) -> str:
    """The chunk without a trailing sentence the splitter cut short (its answer would be cut short too)."""
    text = chunk.text.rstrip()
    if chunk.ends_doc or re.search(r"[.;:!?][\"'’”)]?$", text):
        return text
    ends = [m.end() for m in re.finditer(r"[.;:!?][\"'’”)]?(?=\s)", text)]
    return text[:ends[-1]] if ends else ""


def _clean(text: str) -> str:
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # markdown links keep their text
    text = re.sub(r"(?<![\w*])[*_]+(?=\w)|(?<=\w)[*_]+(?![\w*])", "", text.replace("**", "").replace("__", ""))
    return " ".join(text.split())


def sentences(text: str) -> list[str]:
    """Sentence split that does not end a sentence at "e.g.", "Art." or an initial."""
    out, start = [], 0
    for m in re.finditer(r"[.!?](?=\s+[A-Z0-9(\"'‘“])", text):
        if not _ABBREV.search(text[start:m.end()]):
            out.append(text[start:m.end()].strip())
            start = m.end()
    return [s for s in out + [text[start:].strip()] if s]


def first_sentence(text: str) -> str:
    """Two sentences when the first is a bare "Yes." or "No." that says nothing checkable."""
    parts = sentences(text)
    return " ".join(parts[:2]) if len(parts) > 1 and len(parts[0].split()) < 3 else (parts[0] if parts else "")


def tidy(text: str) -> str:
    """A span cut out of a longer sentence: no dangling "or"/"because"/"the", no unclosed parenthesis; "" when
    the cut leaves a negation hanging."""
    if text.count("(") > text.count(")"):
        text = text[:text.rindex("(")]
    words = text.rstrip(",;:—–- ").split()
    while len(words) > 1 and words[-1].lower().strip(",;:") in _DANGLING:
        words.pop()
    if words and words[-1].lower().strip(",;:") in {"not", "no", "never"}:
        return ""  # "... that are not" cut short: whatever is left would say the opposite
    return " ".join(words).rstrip(",;:—–- ")


def trim(text: str, max_words: int = MAX_ANSWER_WORDS) -> str:
    """At most max_words, cut at the last clause boundary when there is one past the eighth word."""
    words = text.split()
    if len(words) <= max_words:
        return text.strip().rstrip(",;:— ")
    cut = max((i for i in range(8, max_words) if words[i - 1][-1] in ",;:"), default=max_words)
    return tidy(" ".join(words[:cut]))


def blocks(text: str) -> list[tuple[str, list[str]]]:
    """("heading", [title]) and ("text", lines) blocks: Markdown '#' headings, RST underlined titles and a
    paragraph's first line ending in '?' (FAQ style: the rest of the paragraph is its answer)."""
    out: list[tuple[str, list[str]]] = []
    para: list[str] = []

    def is_question(line: str) -> bool:
        first = _LEAD.sub("", line).strip()
        # ".. note" / ".. XXX" open RST comments and directives: never a question a user asked
        return first.endswith("?") and len(first.split()) <= 40 and not first.startswith("..")

    def flush() -> None:
        # A question line followed by text opens a Q/A pair, also inside one paragraph: text extracted from
        # HTML or PDF puts every block on its own line without blank lines between them.
        start = 0
        for i, line in enumerate(para):
            followed = i + 1 < len(para) and not is_question(para[i + 1])
            if is_question(line) and (followed or len(para) == 1):  # alone: its answer is the next paragraph
                if para[start:i]:
                    out.append(("text", para[start:i]))
                out.append(("heading", [line]))
                start = i + 1
        if para[start:]:
            out.append(("text", para[start:]))
        para.clear()

    for line in text.splitlines():
        s = line.strip()
        if not s:
            flush()
        elif _UNDERLINE.match(s):
            title = para.pop() if para else None  # no title before it: an overline or a rule
            flush()
            if title:
                out.append(("heading", [title]))
        elif _MD_HEADING.match(line):
            flush()
            out.append(("heading", [_MD_HEADING.match(line).group(1)]))
        else:
            para.append(s)
    flush()
    return out


def _items(lines: list[str]) -> list[tuple[bool, str]]:
    """A list block gives one item per line, prose one item; the flag says the item was numbered."""
    if len(lines) > 1 and all(_ENUM.match(x) for x in lines):
        return [(bool(_NUMBERED.match(x)), _clean(x)) for x in lines]
    parts = _INLINE_ENUM.split(_clean(" ".join(lines)))  # extracted text often runs enumerations together
    return [(bool(_NUMBERED.match(x)), x) for x in parts if x.strip()]


def definition(sentence: str, opens: bool, listed: bool) -> tuple[str, str] | None:
    """(question, answer) for "'X' means Y", "X is defined as Y", "'X': Y" (unquoted X only in a list item)
    and, in the sentence that opens a paragraph or item, "X is a Y"."""
    for pattern in (_MEANS, _GLOSS):
        m = pattern.match(sentence)
        if m and (m.group("term") or pattern is _MEANS or listed):
            term = (m.group("term") or m.group("plain")).strip()
            defn = re.sub(r"^(?:as an? \w+,\s*)?means\s+", "", m.group("defn"), flags=re.IGNORECASE)
            if defn.rstrip().endswith(":"):
                continue  # "means any of the following:" - the definition is a list, no short answer
            defn = tidy(defn.split(";")[0]) if ";" in defn else defn  # definition lists end items with ';'
            if term.split()[0].lower() not in _NOT_TERMS and not re.search(r"\d", term) and len(defn.split()) >= 3:
                return f'What does "{term}" mean?', trim(defn)
    m = _IS_A.match(sentence) if opens else None
    term_words = m.group("term").lower().split() if m else []
    if (m and term_words[0] not in _NOT_TERMS and not any(w in STOPWORDS - {"of"} for w in term_words)
            and 3 <= len(m.group("defn").split()) <= 40):
        art = (m.group("art") or "").lower()
        question = " ".join(f"What is {art} {m.group('term')}?".split())
        if len(question.split()) < 4:
            question = f"What is meant by {m.group('term')}?"
        return question, trim(m.group("defn"))
    return None


def clause(item: str) -> tuple[str, str] | None:
    """A numbered obligation "N. SUBJECT shall VERB REST." -> "What must SUBJECT VERB?", only when REST up
    to the first ';' (or ',') is a short span."""
    m = _CLAUSE.match(first_sentence(item).rstrip("."))
    if (not m or m.group("verb") in _NOT_VERBS | _PREPS | STOPWORDS or m.group("verb").endswith("ly")
            or m.group("subj").split()[0].lower() in _NOT_SUBJECTS):
        return None
    rest = m.group("rest").split(";")[0].strip()
    if len(rest.split()) > CLAUSE_WORDS and len(rest.split(",")[0].split()) >= 5:
        rest = tidy(rest.split(",")[0])
    subj, verb, words = m.group("subj").split(), m.group("verb"), rest.split()
    plain_word = subj[0][1:].islower() and (len(subj) == 1 or not subj[1][0].isupper())  # not "Member States"
    if subj[0].lower() in {"the", "a", "an", "each", "every", "any", "this", "all"} or plain_word:
        subj[0] = subj[0].lower()
    lead = words[0].lower().strip(",;:") if words else ""
    if lead in _PREPS:
        if _PREP_VERBS.get(verb) != lead:
            return None
        verb, words = f"{verb} {lead}", words[1:]
    elif lead == "that":
        words = words[1:]
    elif lead in {"or", "and", "but"}:  # "shall designate or establish ...": two verbs
        return None
    if not 3 <= len(words) <= CLAUSE_WORDS:
        return None
    return f"What must {' '.join(subj)} {verb}?", " ".join(words).rstrip(",;:. ")


def extract_pairs(chunk: SourceChunk) -> list[Pair]:
    """All candidate pairs of one chunk, in text order (the filters and caps decide what is kept)."""
    def pair(question: str, answer: str, kind: str) -> Pair:
        return Pair(" ".join(question.split()), answer, kind, chunk.doc_id, chunk.chunk_id, chunk.text)

    out: list[Pair] = []
    parts = blocks(complete_text(chunk))
    heading, section_pairs, section_body = None, 0, ""

    def close_section() -> None:
        body = _LEAD.sub("", first_sentence(section_body))
        if heading and not heading.endswith("?") and not section_pairs and len(body.split()) >= 6:
            out.append(pair(f'What does the section "{heading.rstrip(":")}" say?', trim(body), "synthetic-section"))

    for i, (kind, lines) in enumerate(parts):
        if kind == "heading":
            close_section()
            heading, section_pairs, section_body = _clean(_LEAD.sub("", _clean(lines[0]))), 0, ""
            if heading.endswith("?") and i + 1 < len(parts) and parts[i + 1][0] == "text":
                answer = _LEAD.sub("", _clean(" ".join(parts[i + 1][1])))
                out.append(pair(heading, trim(first_sentence(answer)), "synthetic-faq"))
                section_pairs += 1
            continue
        items = _items(lines)
        section_body = section_body or _ENUM.sub("", items[0][1])
        if heading and heading.endswith("?"):
            continue  # the FAQ answer paragraph: its sentences belong to that question
        for numbered, item in items:
            body = _ENUM.sub("", item)
            found = [(clause(body), "synthetic-clause")] if numbered else []
            if not (found and found[0][0]):  # a numbered obligation, else the definitions in the item
                found = [(definition(x, n == 0, len(items) > 1), "synthetic-definition")
                         for n, x in enumerate(sentences(body))]
            for got, kind_ in found:
                if got:
                    out.append(pair(*got, kind_))
                    section_pairs += 1
    close_section()
    return out
