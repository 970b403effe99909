"""Text helpers every layer shares (pure functions): content words, and how much of a text a body of evidence
supports. They sit at the bottom so that question generation, fine-tuning data, pre-flight checks and evaluation
all read text the same way without importing each other."""

from __future__ import annotations

import re

SUPPORT_THRESHOLD = 0.6  # share of an answer's content words that must occur in the evidence
STOPWORDS = frozenset("""a an the and or of to in on for by with from at as is are was were be been being this that these
those it its which who whom whose what when where why how shall may must can not no yes does do did under any all each
such than then there their them they he she his her him also other into within upon about per via if so only more most
has have had will would should could one two three""".split())
WORD = re.compile(r"[a-z0-9]+")


def content_words(text: str) -> list[str]:
    return [w for w in WORD.findall(text.lower()) if (len(w) >= 3 or w.isdigit()) and w not in STOPWORDS]
