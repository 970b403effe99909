"""Is a generated question a whole question, and its answer a whole sentence? (pure functions)

A fragment in a test set ("in the package status?", the tail of a heading that wrapped) is not a question
anyone asks: every arm fails it, and the comparison measures the generator. So every synthetic question must
read as a complete interrogative sentence, and every answer as a complete sentence a person could say.
"""

from __future__ import annotations

import re

INTERROGATIVES = frozenset("""what which who whom whose when where why how is are was were am do does did can could
should would will shall may might must has have had isn't aren't doesn't don't can't won't""".split())
MIN_QUESTION_WORDS = 3  # "What is Python?"
MIN_ANSWER_WORDS = 2
_PAIRS = (("(", ")"), ("[", "]"), ("{", "}"), ("“", "”"))
_SENTENCE_END = re.compile(r"[.!?][\"'’”)\]`]*$")
_LEAD_IN = re.compile(r"^(?:(?:in|on|with|for|under|when|after|before|during|using|since|as of|from)\b[^,?]{1,60},"
                      r"|[A-Z][\w.-]*(?:\s+[\w.-]+){0,3}:)\s+", re.IGNORECASE)  # "In Python 3, how ...", "Git: how ..."


def _words(text: str) -> list[str]:
    return re.findall(r"[\w'’-]+", text)


def _first_word(text: str) -> str:
    """Lower-cased first word, contractions opened: "What’s" -> "what"."""
    word = (_words(text) or [""])[0].lower().replace("’", "'")
    return re.sub(r"'(?:s|re|ll|d|ve)$", "", word)


def balanced(text: str) -> bool:
    """Brackets, curly quotes, straight double quotes and backticks all closed."""
    if any(text.count(a) != text.count(b) for a, b in _PAIRS):
        return False
    return text.count('"') % 2 == 0 and text.count("`") % 2 == 0


def question_problem(question: str) -> str | None:
    """Why `question` is not a complete interrogative sentence, or None when it is."""
    q = question.strip()
    words = _words(q)
    if not q.endswith("?") or q.endswith("...?") or q.endswith("…?"):
        return "does not end in a question mark"
    if len(words) < MIN_QUESTION_WORDS:
        return "too short"
    if not (q[0].isupper() or q[0] in "\"'“‘`"):
        return "starts in lower case (a tail of a longer line)"
    # "How ...?", "In Python 3, how ...?", and the FAQ habit "Writing C is hard; are there alternatives?"
    clauses = [_LEAD_IN.sub("", q, count=1)] + re.split(r"[;:.,]\s+", q)[1:]
    if not any(_first_word(c) in INTERROGATIVES for c in clauses):
        return "not an interrogative sentence"
    if not balanced(q):
        return "unbalanced brackets or quotes"
    if re.sub(r"([\"“`]).*?[\"”`]", "", q).count("?") > 1:  # a '?' inside quotes is part of a name
        return "more than one question"
    return None


def answer_problem(answer: str) -> str | None:
    """Why `answer` is not a complete sentence, or None when it is."""
    a = answer.strip()
    if len(_words(a)) < MIN_ANSWER_WORDS:
        return "too short"
    if not (a[0].isupper() or a[0].isdigit() or a[0] in "\"'“‘`(-"):
        return "starts in lower case"
    if not _SENTENCE_END.search(a):
        return "does not end a sentence"
    if not balanced(a):
        return "unbalanced brackets or quotes"
    if re.search(r"\b(?:and|or|the|a|an|of|to|with|for|but|because)[.!?]$", a, re.IGNORECASE):
        return "cut short"
    return None


def heading_tail(question: str, evidence: str) -> bool:
    """The question is the second half of a longer line of its source (a heading or sentence that wrapped),
    not a sentence of its own: the text before it on that line does not end a sentence or a label."""
    q = " ".join(question.split()).lower()
    for line in evidence.lower().splitlines():
        line = " ".join(line.replace("#", " ").split())
        at = line.find(q)
        while at > 0:
            before = line[:at].rstrip()
            if before and not re.search(r"(?:[.!?:;)\]]|^q\d*|question\s*\d*[.:)]?|^\d+(?:\.\d+)*[.)]?)$", before):
                return True
            at = line.find(q, at + 1)
    return False


def sentence(text: str) -> str:
    """`text` as a sentence: first letter upper case, a final full stop when it has no end punctuation."""
    text = " ".join(text.split()).rstrip(",;: ")
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if _SENTENCE_END.search(text) else text + "."
