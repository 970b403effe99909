"""Questions read off ordinary documentation prose, where no sentence is a question (pure functions).

Manuals state their facts in a handful of shapes: instructions ("To do X, run Y."), conditions ("If X, Y."),
capabilities ("You can X by Y.", "Use X to Y."), what a thing does ("The sort() method returns None."),
procedures (an intro naming the goal, then numbered steps) and option tables. Each shape gives one question
whose answer is the whole source sentence, so the answer is complete and supported by construction.
"""

from __future__ import annotations

import re

from rag_vs_ft.synth.wellformed import sentence

MAX_ANSWER_WORDS = 40
_VERB_PHRASE = r"(?P<goal>[a-z][\w'’-]*(?:\s+[^\s,;:]+){1,11}?)"
_TO_DO = re.compile(rf"^(?:In order to|To)\s+{_VERB_PHRASE}\s*,\s+(?P<rest>\S.+)$")
_CONDITION = re.compile(r"^(?P<conj>If|When|Whenever|Once)\s+(?P<cond>[^,;:?]{8,120}?)\s*,\s+(?P<rest>[a-z\"'`(]\S*(?:\s+\S+){2,}.*)$",
                        re.IGNORECASE)
_WANT = re.compile(r"^you\s+(?:want|wish|need|would like|'d like|’d like)\s+to\s+(?P<goal>.+)$")
_CAN_BY = re.compile(r"^You\s+(?:can|may)\s+(?:also\s+|then\s+)?(?P<goal>(?!use\b|be\b|not\b|also\b)[a-z][\w'’-]*(?:\s+[^\s,;:]+){1,10}?)"
                     r"\s+(?:by|using|with|through|via)\s+\S.+$")
_USE_TO = re.compile(r"^(?:You\s+(?:can|may|should)\s+(?:also\s+)?use|Use)\s+(?P<tool>\S.{0,60}?)\s+to\s+"
                     r"(?P<goal>[a-z][\w'’-]*(?:\s+[^\s,;:]+){1,11}?)\s*(?:[.;]|$)")
_CAN_BE = re.compile(r"^(?P<subj>(?:The\s+|A\s+|An\s+)?[`\"]?[\w.()`\"'-]+(?:\s+[\w.()`\"'-]+){0,4}?)\s+(?P<modal>can|may|should|must)"
                     r"\s+be\s+(?P<verb>[a-z]+ed|[a-z]+en|set|run|put|read|built|found|made|kept|sent|split)\s+"
                     r"(?:by|with|using|through|via|in|from|as)\s+\S.+$")
_NOUN_PHRASE = r"[`\"]?[\w.()`\"'/-]+(?:\s+[\w.()`\"'/-]+){0,4}?"  # a subject of one to five words, code allowed
_ACTION_VERBS = ("provide return support contain require include allow let enable store create accept take produce "
                 "define describe control specify handle manage generate remove install print display convert check "
                 "read write send raise open close hold list show mean determine").split()
_FACT = re.compile(rf"^(?P<subj>(?:The\s+|A\s+|An\s+|Each\s+|Every\s+)?{_NOUN_PHRASE})\s+"
                   rf"(?P<verb>(?:{'|'.join(_ACTION_VERBS)})(?:s|es)?)\s+(?P<rest>\S.+)$")
_USED_FOR = re.compile(rf"^(?P<subj>(?:The\s+|A\s+|An\s+)?{_NOUN_PHRASE})\s+(?P<be>is|are)"
                       r"\s+(?:mainly\s+|mostly\s+|typically\s+|often\s+)?used\s+(?:to|for)\s+\S.+$")
_NOT_SUBJECT = set("it this that these those they there here which what he she we you i one each such both all some "
                   "most many none either neither another other its their our your his her if when while".split())
_NOT_GOAL = set("be do date this that the a an some such what which say sum conclude summarize summarise put "
                "recap illustrate see".split())
_NOT_SUBJECT_START = set("of in on at for with by from however also then thus now finally first second next still often "
                         "usually sometimes instead otherwise only even just so".split())
_AUXILIARY = set("is are was were be been being has have had can could will would shall should may might must does do "
                 "did".split())
_ANAPHORA = set("such this that these those it they them above below previous following former latter".split())
_IRREGULAR = {"does": "do", "has": "have", "is": "be", "lets": "let"}
OPTION_KINDS = set("option flag argument parameter setting key field command variable switch".split())
_OPTION_LINE = re.compile(r"^(?P<name>--?[\w][\w-]*(?:[ =,]\s*(?:--?[\w][\w-]*|<[\w-]+>|[A-Z_]+))*)\s{2,}(?P<desc>\S.+)$")


def whole(text: str) -> str | None:
    """The sentence as an answer: complete, or cut at its first ';' when too long, else nothing."""
    if len(text.split()) <= MAX_ANSWER_WORDS:
        return sentence(text)
    head = text.split(";")[0]
    return sentence(head) if 6 <= len(head.split()) <= MAX_ANSWER_WORDS else None


def _subject(raw: str, names: set[str]) -> str | None:
    """The sentence's subject as it reads inside a question: "The list" -> "the list", "Lists" -> "lists";
    a name stays as it is: a word in `names` (written capitalised mid-sentence elsewhere) or with inner capitals."""
    words = raw.split()
    if not words or words[0].lower().strip("`\"") in _NOT_SUBJECT or any(w.lower() in _NOT_SUBJECT for w in words[1:]):
        return None
    first = words[0]
    if first.lower() in _NOT_SUBJECT_START or _AUXILIARY & {w.lower() for w in words} or _ANAPHORA & set(words):
        return None
    if first in {"The", "A", "An", "Each", "Every"}:
        if len(words) == 2 and words[1].isalpha() and words[1].islower():
            return None  # "The function returns ...": which function, the question cannot say
        return " ".join([first.lower(), *words[1:]])
    is_name = first in names or len(first) == 1 or first[1:] != first[1:].lower() or bool(re.search(r"[\d`]", first))
    if first[:1].isupper() and not is_name:
        words[0] = first.lower()
    return " ".join(words)


def _base(verb: str) -> str:
    if verb in _IRREGULAR:
        return _IRREGULAR[verb]
    for suffix in ("ches", "shes", "sses", "xes", "zes"):
        if verb.endswith(suffix):
            return verb[:-2]
    return verb[:-1] if verb.endswith("s") and not verb.endswith("ss") else verb


def _goal_ok(goal: str) -> bool:
    words = goal.lower().split()
    return (words[0] not in _NOT_GOAL and not _ANAPHORA & set(words) and not {"–", "—", "-"} & set(words)
            and not goal.lower().startswith(("do so", "that end")))


def prose_pair(text: str, names: set[str] = frozenset()) -> tuple[str, str] | None:
    """(question, answer) for one sentence of prose, or None when it has none of the shapes; `names` holds the
    words the source capitalises mid-sentence (to tell a name from a capitalised common noun)."""
    s = " ".join(text.split()).rstrip()
    body = s.rstrip(".!")
    answer = whole(s)
    if not answer or s.endswith("?") or s.endswith(":"):
        return None
    if (m := _TO_DO.match(body)) and _goal_ok(m.group("goal")) and len(m.group("rest").split()) >= 3:
        return f"How do you {m.group('goal')}?", answer
    if m := _CONDITION.match(body):
        cond = m.group("cond").strip()
        if want := _WANT.match(cond):
            return (f"How do you {want.group('goal')}?", answer) if _goal_ok(want.group("goal")) else None
        first = cond.split()[0].lower()
        if (first in {"so", "not", "necessary", "needed", "possible", "any", "in", "you"} and len(cond.split()) < 4
                or len(cond.split()) < 3 or _ANAPHORA & set(cond.lower().split())
                or re.fullmatch(r"\w+(?:ed|en)|known|done|used|seen|shown|taken|written|given", first)):
            # "if so", "once you have started such a window", "when known to the interpreter": it refers to
            # text the question lacks
            return None
        return f"What happens {m.group('conj').lower()} {cond}?", answer
    if (m := _USE_TO.match(body)) and _goal_ok(m.group("goal")):
        return f"How do you {m.group('goal')}?", answer
    if (m := _CAN_BY.match(body)) and _goal_ok(m.group("goal")):
        return f"How can you {m.group('goal')}?", answer
    if (m := _USED_FOR.match(body)) and (subj := _subject(m.group("subj"), names)):
        return f"What {m.group('be')} {subj} used for?", answer
    if (m := _CAN_BE.match(body)) and (subj := _subject(m.group("subj"), names)):
        return f"How {m.group('modal')} {subj} be {m.group('verb')}?", answer
    if (m := _FACT.match(body)) and (subj := _subject(m.group("subj"), names)):
        verb = m.group("verb")
        plural = verb == _base(verb)
        if not plural and len(subj.split()) == 1 and subj[:1].islower() and subj == m.group("subj").lower():
            return None  # "Hash lists by their address.": an instruction, the "subject" was its verb
        if plural and not subj.split()[-1].rstrip("`\"").endswith("s"):
            return None  # "The list contain ..." is no sentence: the verb was not a verb
        base = _base(verb)
        rest = m.group("rest").split()
        if base in {"allow", "let", "enable"} and rest and rest[0] == "you":
            return f"What {'do' if plural else 'does'} {subj} {base} you to do?" if base != "let" else \
                f"What {'do' if plural else 'does'} {subj} let you do?", answer
        return f"What {'do' if plural else 'does'} {subj} {base}?", answer
    return None


def procedure_pairs(intro: str, steps: list[str]) -> list[tuple[str, str]]:
    """An intro naming a goal ("To build the docs:", "Follow these steps to build the docs:") followed by
    numbered steps gives "What is the first step to build the docs?" and, for three steps or more, the last."""
    intro = " ".join(intro.split())
    m = (re.search(r"(?:^|\s)(?:To|to)\s+(?P<goal>[a-z][^,:;.]{3,80}?)\s*(?:,[^:]*)?:$", intro))
    if not m or not _goal_ok(m.group("goal")) or len(steps) < 2:
        return []
    goal = m.group("goal").strip()
    out = []
    first = whole(steps[0])
    if first and len(first.split()) >= 3:
        out.append((f"What is the first step to {goal}?", first))
    last = whole(steps[-1])
    if len(steps) >= 3 and last and len(last.split()) >= 3:
        out.append((f"What is the last step to {goal}?", last))
    return out


def table_rows(lines: list[str]) -> list[tuple[str, str, str]]:
    """(header of the first column, name, description) from a Markdown table, a definition list as markdownify
    writes it ("term" then ": description") or a plain-text option list ("-v, --verbose   Print more.")."""
    if len(lines) >= 3 and all(x.startswith("|") for x in lines) and re.match(r"^\|[\s:|-]+\|$", lines[1]):
        cells = [[c.strip().strip("`*") for c in x.strip().strip("|").split("|")] for x in lines]
        header, rows = cells[0], cells[2:]
        return [(header[0], r[0], r[-1]) for r in rows if len(r) >= 2 and r[0] and r[-1] != r[0]]
    out = []
    for i, line in enumerate(lines):
        if (m := _OPTION_LINE.match(line)):
            out.append(("option", m.group("name"), m.group("desc")))
        elif line.startswith(":") and i and not lines[i - 1].startswith(":"):
            out.append(("", lines[i - 1].strip("`*"), line.lstrip(": ")))
    return out


def option_pair(header: str, name: str, desc: str) -> tuple[str, str] | None:
    if len(desc.split()) < 3 or len(name.split()) > 6 or not name:
        return None
    answer = whole(desc)
    if not answer:
        return None
    kind = "option" if name.startswith("-") else header.strip().lower()
    if kind in OPTION_KINDS:
        return f'What does the {kind} "{name}" do?', answer
    return f'What does "{name}" mean?', answer
