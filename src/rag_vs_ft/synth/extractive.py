"""Deterministic question/answer pairs read off the structure of a chunk, no model needed.

Documentation and regulation text already contains questions in disguise: FAQ headings that are questions,
definitions ("'X' means Y", "X is a Y"), numbered obligations ("1. The controller shall notify ..."), and the
shapes of ordinary prose (`prose`: instructions, conditions, procedures, option tables). Every answer is a
whole sentence of the chunk itself, so it is grounded by construction, and the same corpus always yields the
same pairs. Headings with a body give a weak fallback question only when nothing better came from them.
"""

from __future__ import annotations

import re

from rag_vs_ft.text import STOPWORDS
from rag_vs_ft.synth.filters import Pair, SourceChunk
from rag_vs_ft.synth.prose import option_pair, procedure_pairs, prose_pair, table_rows, whole

KINDS = ("synthetic-faq", "synthetic-definition", "synthetic-clause", "synthetic-procedure", "synthetic-option",
         "synthetic-prose", "synthetic-section")  # best first
CLAUSE_WORDS = 25  # a clause answer longer than this is not a clean short span
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")
_UNDERLINE = re.compile(r"^([=\-~^*+#])\1{2,}$")
_ENUM = re.compile(r"^(?:\(?\d{1,3}[.)]|\([a-z]{1,4}\)|[-*•+])\s+")
_NUMBERED = re.compile(r"^\(?\d{1,3}[.)]\s+")
_INLINE_ENUM = re.compile(r"(?<=[.;:])\s+(?=\(?\d{1,3}[.)]\s+\S)")  # "... 22. 3. The controller" in flattened text
# "Q:", "Answer.", and section numbers "2.", "3)", "1.1", "2.3.4." before a heading or an item
_LEAD = re.compile(r"^(?:q\d*|question|a|answer)\s*[:.)]\s*|^\d+(?:\.\d+)*[.)]\s+|^\d+(?:\.\d+)+\s+", re.IGNORECASE)
_QUOTED = r"[\"'‘“`]{1,2}(?P<term>[^\"'’”`]{1,60}?)[\"'’”`]{1,2}"
_PLAIN = r"(?P<plain>[A-Z][\w-]*(?:\s+[\w-]+){0,3}?)"
_MEANS = re.compile(rf"^(?:{_QUOTED}|{_PLAIN})\s*,?\s+(?:means|is defined as|refers to|denotes)\s+(?P<defn>.+)$")
_GLOSS = re.compile(rf"^(?:{_QUOTED}|{_PLAIN})\s*(?::|—|–|\s-)\s+(?P<defn>.+)$")
_IS_A = re.compile(r"^(?:(?P<art>A|An|The)\s+(?=[a-z])|(?=[A-Z]))(?P<term>[A-Za-z][\w-]*(?:\s+[\w-]+){0,3}?)\s+(?P<be>is|are)\s+"
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
    text = re.sub(r":[\w:.-]+:`([^`<]*?)(?:\s*<[^>]*>)?`", r"\1", text)  # RST roles: :func:`len` -> len
    text = re.sub(r"``([^`]+)``", r"\1", text)  # RST inline literals
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


def faq_answer(text: str) -> str | None:
    """The answer paragraph's opening as a reference answer: its first sentence, or the first two when the first
    is too short to say anything checkable ("Yes.", "That depends on the type."); none for a cross-reference."""
    parts = sentences(text)
    if not parts or re.match(r"^(?:See|Refer to|Read)\b", parts[0]):
        return None
    if len(parts) > 1 and len(parts[0].split()) < 7 and len(" ".join(parts[:2]).split()) <= 40:
        return whole(" ".join(parts[:2]))
    return whole(parts[0])


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


def _continues(prev: str, line: str) -> bool:
    """`line` carries on the sentence of `prev`, hard-wrapped (plain text, PDF): `prev` ends mid-sentence and
    is long (a wrapped line), or `line` starts in lower case. List items and table rows start their own line."""
    if _ENUM.match(line) or line.startswith("|") or prev.startswith("|") or re.search(r"[.!?:;]['\"’”)]?$", prev):
        return False
    return line[0].islower() or len(prev) >= 50


def _merge_wrapped(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if out and _continues(out[-1], line):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return out


def blocks(text: str) -> list[tuple[str, list[str]]]:
    """("heading", [title]) and ("text", lines) blocks: Markdown '#' headings, underlined titles (a Markdown
    setext title may span lines: it is read whole), and a paragraph's line ending in '?' (FAQ style: the rest
    of the paragraph is its answer). Hard-wrapped lines are joined first, so a wrapped question is read whole."""
    out: list[tuple[str, list[str]]] = []
    para: list[str] = []

    def is_question(line: str) -> bool:
        first = _LEAD.sub("", line).strip()
        # ".. note" / ".. XXX" open RST comments and directives: never a question a user asked
        return first.endswith("?") and len(first.split()) <= 40 and not first.startswith("..")

    def flush() -> None:
        # A question line followed by text opens a Q/A pair, also inside one paragraph: text extracted from
        # PDF puts every block on its own line without blank lines between them.
        lines, start = _merge_wrapped(para), 0
        for i, line in enumerate(lines):
            followed = i + 1 < len(lines) and not is_question(lines[i + 1])
            if is_question(line) and (followed or len(lines) == 1):  # alone: its answer is the next paragraph
                if lines[start:i]:
                    out.append(("text", lines[start:i]))
                out.append(("heading", [line]))
                start = i + 1
        if lines[start:]:
            out.append(("text", lines[start:]))
        para.clear()

    fenced = False
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("```") or s.startswith("~~~"):  # a code block: its '#' lines are comments, not headings
            flush()
            fenced = not fenced
        elif fenced:
            continue
        elif not s:
            flush()
        elif _UNDERLINE.match(s):
            # the title above an underline; a short paragraph is read whole (a Markdown setext title may wrap)
            n = len(para) if len(para) <= 3 else 1
            title = " ".join(para[-n:]) if para else None  # no title above: an overline or a rule
            del para[len(para) - n:]
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


def definition(sentence: str, opens: bool, listed: bool, names: set[str] = frozenset()) -> tuple[str, str] | None:
    """(question, answer) for "'X' means Y", "X is defined as Y", "'X': Y" (unquoted X only in a list item)
    and, in the sentence that opens a paragraph or item, "X is a Y" ("Generators are ..." asks "What are
    generators?" unless the word is a name in `names`)."""
    for pattern in (_MEANS, _GLOSS):
        m = pattern.match(sentence)
        if m and (m.group("term") or pattern is _MEANS or listed):
            term = (m.group("term") or m.group("plain")).strip()
            defn = re.sub(r"^(?:as an? \w+,\s*)?means\s+", "", m.group("defn"), flags=re.IGNORECASE)
            if defn.rstrip().endswith(":"):
                continue  # "means any of the following:" - the definition is a list, no short answer
            defn = tidy(defn.split(";")[0]) if ";" in defn else defn  # definition lists end items with ';'
            answer = whole(sentence if pattern is _MEANS else defn)
            noun_phrase = not m.group("term") and term.split()[-1].lower() in {"a", "an", "the", "by", "no", "any"}
            if (term.split()[0].lower() not in _NOT_TERMS and not re.search(r"\d", term) and len(defn.split()) >= 3
                    and answer and not noun_phrase):  # not "Classes provide a means of ...": a noun, no verb
                return f'What does "{term}" mean?', answer
    m = _IS_A.match(sentence) if opens else None
    term_words = m.group("term").lower().split() if m else []
    if (m and term_words[0] not in _NOT_TERMS and not any(w in STOPWORDS - {"of"} for w in term_words)
            and 3 <= len(m.group("defn").split()) <= 40):
        art, term = (m.group("art") or "").lower(), m.group("term")
        if not art and term not in names and term[1:] == term[1:].lower():
            term = term[0].lower() + term[1:]  # "Generators are ..." -> "What are generators?"
        question = " ".join(f"What {m.group('be')} {art} {term}?".split())
        answer = whole(sentence)
        return (question, answer) if answer else None
    return None


def clause(item: str) -> tuple[str, str] | None:
    """A numbered obligation "N. SUBJECT shall VERB REST." -> "What must SUBJECT VERB?", only when REST up
    to the first ';' (or ',') is a short span."""
    head = first_sentence(item).split(";")[0]
    m = _CLAUSE.match(head.rstrip("."))
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
    answer = whole(head)
    if not 3 <= len(words) <= CLAUSE_WORDS or not answer:
        return None
    return f"What must {' '.join(subj)} {verb}?", answer


def _sentence_pairs(body: str, listed: bool, names: set[str]) -> list[tuple[tuple[str, str] | None, str]]:
    """Per sentence: a definition when there is one, else one of the prose shapes."""
    out = []
    for n, x in enumerate(sentences(body)):
        got = definition(x, n == 0, listed, names)
        out.append((got, "synthetic-definition") if got else (prose_pair(x, names), "synthetic-prose"))
    return out


def corpus_names(texts: list[str]) -> set[str]:
    """Words written capitalised mid-sentence at least as often as in lower case: names ("Python", "Debian"),
    kept as they are inside a question, where a sentence-initial common noun is lower-cased."""
    cap, low = {}, {}
    for text in texts:
        for w in re.findall(r"(?<=[a-z,;] )([A-Z][a-z][\w-]*)", text):
            cap[w] = cap.get(w, 0) + 1
        for w in re.findall(r"(?<=[a-z,;] )([a-z][\w-]*)", text):
            low[w] = low.get(w, 0) + 1
    return {w for w, n in cap.items() if n >= low.get(w.lower(), 0)}


def _faq_answer_in(blocks_after: list[tuple[str, list[str]]]) -> str | None:
    """The answer a question heading takes from the block right after it (the first of `blocks_after`), when
    that block is text."""
    if blocks_after and blocks_after[0][0] == "text":
        return faq_answer(_LEAD.sub("", _clean(" ".join(blocks_after[0][1])))) or None
    return None


def _item_pairs(items: list[tuple[bool, str]], intro: str, names: set[str]
                ) -> list[tuple[tuple[str, str] | None, str]]:
    """The candidates of one text block's items with their kinds, in text order: the procedure whose numbered
    steps follow `intro` (the previous block's last line, ending in ':') or an item ending in ':', and per item
    its numbered obligation, else its definitions or prose shapes. None where a shape gave no pair."""
    found = []
    steps = [_ENUM.sub("", x) for numbered, x in items if numbered]
    if intro and steps and items[0][0]:  # "To build the docs:" then, after a blank line, the numbered steps
        found += [(got, "synthetic-procedure") for got in procedure_pairs(intro, steps)]
    for k, (numbered, item) in enumerate(items):
        if not numbered and item.rstrip().endswith(":") and k + 1 < len(items):
            found += [(got, "synthetic-procedure") for got in
                      procedure_pairs(item, [_ENUM.sub("", x) for n, x in items[k + 1:] if n])]
        body = _ENUM.sub("", item)
        own = [(clause(body), "synthetic-clause")] if numbered else []
        if not (own and own[0][0]):  # a numbered obligation, else the definitions or prose shapes
            own = _sentence_pairs(body, len(items) > 1, names)
        found += own
    return found


def extract_pairs(chunk: SourceChunk, names: set[str] | None = None, following: str = "") -> list[Pair]:
    """All candidate pairs of one chunk, in text order (the filters and caps decide what is kept); `names` are
    the corpus' names (`corpus_names`), else the chunk's own. `following` is the next chunk of the same document:
    a question heading that ends the chunk takes its answer from there (the splitter cut between them)."""
    def pair(question: str, answer: str, kind: str, evidence: str = chunk.text) -> Pair:
        return Pair(" ".join(question.split()), answer, kind, chunk.doc_id, chunk.chunk_id, evidence)

    out: list[Pair] = []
    text = complete_text(chunk)
    names = corpus_names([text]) if names is None else names
    parts = blocks(text)
    heading, section_pairs, section_body, intro = None, 0, "", ""

    def close_section() -> None:
        body = whole(_LEAD.sub("", first_sentence(section_body)))
        if heading and not heading.endswith("?") and not section_pairs and body and len(body.split()) >= 6:
            out.append(pair(f'What does the section "{heading.rstrip(":")}" say?', body, "synthetic-section"))

    def add(found) -> None:
        nonlocal section_pairs
        for got, kind_ in found:
            if got:
                out.append(pair(*got, kind_))
                section_pairs += 1

    for i, (kind, lines) in enumerate(parts):
        if kind == "heading":
            close_section()
            heading, section_pairs, section_body, intro = _clean(_LEAD.sub("", _clean(lines[0]))), 0, "", ""
            answer = _faq_answer_in(parts[i + 1:i + 2]) if heading.endswith("?") else None
            if answer:
                out.append(pair(heading, answer, "synthetic-faq"))
                section_pairs += 1
            continue
        if heading and heading.endswith("?"):
            continue  # the FAQ answer paragraph: its sentences belong to that question
        rows = table_rows(lines)
        if rows:
            add((option_pair(*r), "synthetic-option") for r in rows)
            continue
        items = _items(lines)
        section_body = section_body or _ENUM.sub("", items[0][1])
        add(_item_pairs(items, intro, names))
        intro = items[-1][1] if items[-1][1].rstrip().endswith(":") else ""
    if parts and parts[-1][0] == "heading" and heading and heading.endswith("?") and following:
        if answer := _faq_answer_in(blocks(following)):  # the heading's answer opens the next chunk
            out.append(pair(heading, answer, "synthetic-faq", f"{chunk.text}\n\n{following}"))
            section_pairs += 1
    close_section()
    return out
