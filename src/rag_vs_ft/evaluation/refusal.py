"""Refusal detection: does an answer decline ("the documents don't cover this", "I don't know") rather than
answer? A pure function over a few named cue patterns. A negation about the subject matter ("the licence does
not require ...", "there is no obligation ...") is an answer, not a refusal: the source-based cues fire only
when the subject is the *source* (documents, context, passages, text, provided information). Only the first
substantive sentence is read, so "answer. The documents say no more." is an answer."""

from __future__ import annotations

import re

_CITATION = re.compile(r"\[[A-Za-z0-9][A-Za-z0-9_.\-]*\]")
# "The answer is:" / "Answer:" lead-ins carry nothing; what follows is the answer (or the refusal).
_LEAD_IN = re.compile(r"^(?!(?:the\s+)?answer\s+is\s+not\b)(?:the\s+)?answer(?:\s+to\s+(?:this|the|your)\s+"
                      r"question)?(?:\s+is)?\s*[:\-]?\s*", re.IGNORECASE)
_BARE_YES_NO = re.compile(r"(?:yes|no)\W*", re.IGNORECASE)
_NEG = r"(?:n't|nt|\s+not)"
_SRC_NOUN = r"(?:documents?|docs|context|passages?|excerpts?|snippets?|extracts?|sources?|texts?)"
_SRC_QUAL = r"(?:provided|given|supplied|retrieved|available|above|following|relevant|cited|quoted|reference)"
# The sources as a noun phrase: a determiner + a source noun ("the passages"), or a qualified weak noun
# ("the provided information", "given material"). "The licence text" does not qualify: that is the subject.
_SOURCE = (rf"(?:\b(?:the|these|those|this|your|any|all)\s+(?:{_SRC_QUAL}\s+)*{_SRC_NOUN}"
           rf"|\b{_SRC_QUAL}\s+(?:{_SRC_NOUN}|information|materials?|content)"
           rf"|\b(?:information|materials?|content)\s+(?:provided|given|supplied)"
           rf"|\bnowhere\s+in\s+the\s+{_SRC_NOUN})\b")
# Verbs about *carrying information*. "require", "allow", "apply", "grant" are deliberately absent: "The
# document does not require you to disclose source" is a (confused) answer, not a refusal.
_INFO_VERB = (r"(?:contain|cover|mention|say|state|address|discuss|specify|include|provide|give|tell|answer|"
              r"explain|describe|refer|deal|touch|offer|indicate|reference|list|talk|go\s+into|seem|appear|"
              r"have\s+(?:any\s+|enough\s+|the\s+|sufficient\s+)?(?:information|details?|data|answer|mention))")
# The sources described by topic ("The context is about X", "they only cover Y"): no answer in itself.
_SOURCE_TOPIC = (rf"(?:they|it|{_SOURCE})(?:\s+provided)?(?:\s+(?:do|does|only|mainly|mostly|just|is|are))*\s+"
                 r"(?:about|discuss|describe|cover|focus|deal|relate|concern|talk|mention|address|contain)")

CUES: dict[str, re.Pattern] = {name: re.compile(pattern, re.IGNORECASE) for name, pattern in {
    # First-person inability or uncertainty: "I don't know", "I'm unable to find", "I could not determine",
    # "I'm not sure", "I have no information".
    "first_person_inability": r"\bI\s+(?:(?:do|did|could)(?:n't|nt|\s*not)|can(?:'t|not|\s+not)|cant)\s+(?:\w+\s+)?"
                              r"(?:know|answer|find|determine|say|tell|locate|identify|confirm|see|provide|give)\b"
                              r"|\bI(?:'m|\s+am)\s+(?:unable|not\s+able)\s+to\s+(?:\w+\s+)?(?:answer|find|determine|"
                              r"say|tell|locate|identify|confirm|provide)|\bI(?:'m|\s+am)\s+(?:not\s+(?:sure|certain)"
                              r"|unsure)|\bI\s+(?:do(?:n't|\s+not)\s+have|have\s+no)\s+(?:any\s+|enough\s+"
                              r"|sufficient\s+|the\s+)?(?:information|idea|details?|data|knowledge|access|context)",
    # Impersonal inability: "it is not possible to answer", "cannot be determined from the text". Only
    # answer/determine-type verbs: "It cannot be waived by contract." is an answer.
    "impersonal_inability": r"\b(?:not\s+possible|impossible)\s+to\s+(?:answer|determine|say|tell|know|provide"
                            r"|give|find|identify|confirm)"
                            r"|\b(?:cannot|can't|could\s*n[o']t)\s+be\s+(?:answered|determined|found|inferred)"
                            r"|^(?:unable|not\s+able)\s+to\s+(?:answer|determine|find|locate)"
                            r"|\b(?:cannot|can't|could\s*n[o']t|unable\s+to)\s+(?:provide|give|offer)\s+(?:you\s+)?"
                            r"(?:an?\s+|the\s+|any\s+|a\s+specific\s+|a\s+definitive\s+)?(?:answer|response|information)\b",
    # The sources do not carry the answer: "the context does not mention", "the passages don't say", "the
    # documents provided are about X and don't address Y", "the text contains no ...", "none of the documents".
    "source_lacks": rf"{_SOURCE}(?:\s+(?:provided|given|above))?(?:(?:\s+[\w'-]+){{0,8}}?\s+and)?\s+(?:do|does|did)"
                    rf"{_NEG}(?:\s+(?:\w+ly|actually|even))?\s+{_INFO_VERB}"
                    rf"|{_SOURCE}\s+(?:contains?|provides?|gives?|offers?|includes?|makes?|has|have)\s+no\b"
                    rf"|{_SOURCE}\s+(?:is|are)\s+silent|\bnothing\s+in\s+{_SOURCE}"
                    rf"|\bnone\s+of\s+{_SOURCE}(?:\s+\w+)?\s+{_INFO_VERB}",
    # Anything that "does not cover this" / "does not say": the object is the question itself (an anaphor, or
    # nothing), so no fact about the subject is stated. "The GDPR does not cover household activities" has a real
    # object and is an answer.
    "silent_on_it": rf"\b(?:do|does|did){_NEG}\s+(?:\w+ly\s+)?(?:cover|address|mention|say|specify|discuss|state"
                    r"|answer|deal\s+with|touch\s+on|go\s+into|provide|give|contain)"
                    r"(?:\s+(?:this|that|it|anything|so|this\s+(?:question|topic|issue|matter|point|case|information"
                    r"|detail)|that\s+(?:question|topic|issue|matter|point|case|information|detail)|the\s+question"
                    r"|(?:this|that|the\s+requested)\s+(?:specific\s+)?information"
                    r"|(?:any|such)\s+(?:information|details?)))?(?:\s+(?:explicitly|directly|specifically|at\s+all))?\W*$",
    # Absence of *information* ("there is no information", "no details about"), not of an obligation ("there
    # is no obligation to notify" is an answer). "No information needs to be given" (a GDPR exemption) does
    # not match: the noun must be followed by about/on/in/available/found.
    "no_information": r"\b(?:there\s+(?:is|are|was|were)|there's|I\s+(?:have|found|see|can\s+find))\s+no\s+"
                      r"(?:\w+\s+)?(?:information|details?|mention|answer|data|reference)\b"
                      r"|\bno\s+(?:further\s+|additional\s+|relevant\s+|specific\s+|such\s+)?(?:information|details?"
                      r"|mention)\s+(?:about|on|of|regarding|concerning|as\s+to|in|(?:is\s+|was\s+)?(?:available"
                      r"|found)|could\s+be\s+found)\b",
    # Absence located in the sources: "not covered in the documents", "unclear from the context", "this
    # information is not available", a bare "This is not covered." ("not covered by the Commission's
    # authority" does not match: the place must be a source).
    "not_in_sources": r"\bnot\s+(?:\w+ly\s+)?(?:covered|mentioned|addressed|discussed|specified|stated|included|found"
                      r"|provided|given|available|present|contained|answered|described|explained)"
                      rf"(?:\s+[\w'-]+){{0,3}}?\s+(?:in|by|within|from|among)\s+(?:any\s+of\s+)?{_SOURCE}"
                      r"|\banswer\s+is\s+not\s+(?:in|found|available|provided|given|known|clear|possible)\b"
                      rf"|\b(?:unclear|not\s+clear|not\s+evident)\s+(?:from|in|based\s+on)\s+{_SOURCE}"
                      r"|\b(?:this|that|such|the\s+requested)\s+information\s+is\s+not\s+(?:available|provided|given)"
                      r"|^(?:\W*\w+\W+)?(?:this|that|this\s+question|this\s+topic|this\s+information|it)\s+is\s+"
                      r"not\s+(?:\w+ly\s+)?(?:covered|addressed|mentioned|answered|discussed|specified|stated|known"
                      r"|clear|provided|available|given)\W*$",
    # Out of scope of the *sources or the assistant*, or "this question is outside the scope". "Household
    # activities fall outside the scope of the GDPR" is an answer.
    "out_of_scope": rf"\b(?:outside|beyond)\s+(?:the\s+)?scope\s+of\s+(?:{_SOURCE}|my\s+knowledge|what\s+I)"
                    r"|\b(?:question|this|that|request)\s+(?:is|falls|lies|seems)\s+(?:\w+\s+)?(?:outside|beyond)\s+"
                    r"(?:the\s+|my\s+)?(?:scope|knowledge)\W*$",
    # Not enough information to answer.
    "insufficient_information": r"\b(?:insufficient|not\s+enough|not\s+sufficient|too\s+little|inadequate)\s+"
                                r"(?:information|context|details|data|evidence)\b",
}.items()}

# Empty or placeholder answers ("N/A", "Unknown", "-", "Not mentioned."): the whole answer is the cue.
_PLACEHOLDER = re.compile(r"\W*(?:n/?a|unknown|null|none\s+available|no\s+answer|not\s+(?:known|available|found"
                          r"|mentioned|specified|stated|covered|provided))?\W*", re.IGNORECASE)
# Clause connectors after which an answer may follow a hedge ("The documents don't say, but it is 30 days").
_CONTRAST = re.compile(r",?\s*\b(?:but|however|although|though)\b,?\s*|;\s*", re.IGNORECASE)
# A clause that is only an apology or describes the sources ("The context is about GDPR.", "but they do
# cover GDPR") is no answer, so it does not outweigh a refusal cue; "but it suggests 30 days" does.
_NOT_ANSWER = re.compile(rf"(?:I'm\s+sorry|I\s+am\s+sorry|sorry|unfortunately|I\s+apologi[sz]e)?\W*$"
                         rf"|{_SOURCE_TOPIC}", re.IGNORECASE)
_TOPIC_FIRST = re.compile(_SOURCE_TOPIC, re.IGNORECASE)
_PRONOUN_SOURCE = re.compile(r"^((?:however|but|and|also)\W*)?(?:it|they)\b", re.IGNORECASE)  # it/they = sources


def refusal_cues(text: str) -> list[str]:
    """Names of the cues that fire on the first substantive sentence ("placeholder": empty/N/A answer)."""
    t = _LEAD_IN.sub("", _CITATION.sub(" ", (text or "").replace("\u2019", "'")).strip()).strip()
    if _PLACEHOLDER.fullmatch(t):
        return ["placeholder"]
    sentences = [s for s in re.split(r"(?<=[.!?])\s+|\n+", t) if s.strip()]
    while sentences and _BARE_YES_NO.fullmatch(sentences[0]):  # "No. The provided documents do not cover this."
        sentences = sentences[1:]
    if not sentences:  # a bare "Yes." / "No." is an answer
        return []
    scope = sentences[:1]
    if len(sentences) > 1 and _TOPIC_FIRST.match(sentences[0]):  # "The context is about X. It lacks Y."
        scope.append(_PRONOUN_SOURCE.sub(r"\1the context", sentences[1]))
    clauses = [c.strip() for s in scope for c in _CONTRAST.split(s) if c.strip()]
    fired = [name for name, cue in CUES.items() if any(cue.search(c) for c in clauses)]
    answered = any(not _NOT_ANSWER.match(c) and not any(cue.search(c) for cue in CUES.values()) for c in clauses)
    return [] if answered else fired


def is_refusal(text: str) -> bool:
    """True when the answer declines (the sources don't cover it / the model can't answer) instead of answering."""
    return bool(refusal_cues(text))
