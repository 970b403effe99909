import json

import pytest
from conftest import REPO

from rag_vs_ft.evaluation.refusal import CUES, is_refusal, refusal_cues

LABELS = REPO / "tests" / "data" / "refusal_labels.jsonl"


def _labelled() -> list[dict]:
    return [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_labelled_set_is_well_formed():
    rows = _labelled()
    assert len(rows) >= 120
    assert all(isinstance(r["text"], str) and isinstance(r["refusal"], bool) for r in rows)
    assert len({r["text"] for r in rows}) == len(rows), "duplicate texts"
    share = sum(r["refusal"] for r in rows) / len(rows)
    assert 0.3 <= share <= 0.5, share
    real = [r for r in rows if r.get("note", "").startswith("real")]
    assert len(real) >= 40 and any(r["refusal"] for r in real) and not all(r["refusal"] for r in real)


def test_every_labelled_answer_is_classified_correctly():
    wrong = [(r["refusal"], refusal_cues(r["text"]), r["text"])
             for r in _labelled() if is_refusal(r["text"]) != r["refusal"]]
    assert not wrong, "misclassified (label, cues, text):\n" + "\n".join(map(repr, wrong))


@pytest.mark.parametrize("text, cue", [
    ("The provided documents do not cover this.", "source_lacks"),
    ("No. The provided documents do not cover this. [gdpr-art-5]", "source_lacks"),
    ("I'm sorry, but I can't find that.", "first_person_inability"),
    ("I'm not sure.", "first_person_inability"),
    ("This cannot be determined from the provided text.", "impersonal_inability"),
    ("There is no information about X in the provided documents.", "no_information"),
    ("This is not covered by the documents provided.", "not_in_sources"),
    ("This question is outside the scope of the provided documents.", "out_of_scope"),
    ("There is insufficient information to answer.", "insufficient_information"),
    ("The context is about GDPR fines. It does not mention the Virginia law.", "source_lacks"),
    ("N/A", "placeholder"),
    ("", "placeholder"),
    ("The answer is:", "placeholder"),
    # non-answers of the default legal run that the classifier used to miss (issue 18)
    ("The answer is not possible to provide.", "impersonal_inability"),
    ("The NIS2 Directive does not cover this.", "silent_on_it"),
    ("The GDPR does not say.", "silent_on_it"),
    ("The AI Act does not address this question.", "silent_on_it"),
    ("I cannot provide an answer to that.", "first_person_inability"),
    ("It is not possible to give a definitive answer.", "impersonal_inability"),
    ("This is not specified.", "not_in_sources"),
])
def test_refusals_name_their_cue(text, cue):
    assert is_refusal(text)
    assert cue in refusal_cues(text)
    assert set(refusal_cues(text)) <= set(CUES) | {"placeholder"}


@pytest.mark.parametrize("text", [
    "No, the GPL does not include a patent grant.",  # the old regex called these refusals
    "The MIT License does not require disclosing source.",
    "The NIS2 Directive does not specify a list of entities.",
    "There is no obligation to notify the authority when the breach is unlikely to result in a risk.",
    "Processing for purely household activities falls outside the scope of the GDPR.",
    "The processor cannot provide the data without the controller's instructions.",
    "The document does not require you to disclose the source code.",  # "document" as (confused) subject
    "The controller must respond within one month. The documents do not say more about extensions.",
    "The documents do not say explicitly, but the controller must respond within one month.",
    "Yes. [license-mit]",
    "No.",
    "The GDPR does not cover purely household activities.",  # a real object: an answer
    "The MIT License does not say anything about patents.",
    "The licence does not require it.",
])
def test_answers_with_negations_are_not_refusals(text):
    assert not is_refusal(text), refusal_cues(text)


def test_a_contrast_clause_about_the_sources_does_not_rescue_a_refusal():
    assert is_refusal("The documents do not cover Virginia law, but they do cover GDPR breach notification.")
    assert not is_refusal("The context does not give a clear answer, but it suggests 30 days.")


REAL = REPO / "tests" / "data" / "refusal_real_labels.jsonl"


def test_agreement_on_real_non_answers_matches_the_readme():
    """Distinct answers of the default legal, support and tutorial runs, labelled declines / attempts by hand,
    blind to the classifier; evals/README.md states the agreement."""
    import re

    from rag_vs_ft.evaluation.correctness import agreement

    rows = [json.loads(line) for line in REAL.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 150 and {r["corpus"] for r in rows} == {"legal", "support", "tutorial"}
    pairs = [(is_refusal(r["text"]), r["refusal"]) for r in rows]
    got = agreement(pairs)
    tp = sum(d and lab for d, lab in pairs)
    precision, recall = tp / sum(d for d, _ in pairs), tp / got["correct"]
    readme = (REPO / "evals" / "README.md").read_text()
    stated = re.search(r"on (\d+) real answers \((\d+) declines\): Cohen's κ ([0-9.]+), precision ([0-9.]+), "
                       r"recall ([0-9.]+)", readme)
    assert stated, "evals/README.md must state the refusal classifier's agreement on real answers"
    assert (int(stated[1]), int(stated[2]), float(stated[3]), float(stated[4]), float(stated[5])) == (
        got["n"], got["correct"], round(got["kappa"], 3), round(precision, 3), round(recall, 3))
    assert got["kappa"] >= 0.7  # measured once, never tuned on: a regression shows here
