"""The well-formedness gate: whole questions and whole-sentence answers pass, fragments do not."""

import pytest

from rag_vs_ft.synth.wellformed import answer_problem, heading_tail, question_problem, sentence


@pytest.mark.parametrize("q", [
    "What is Python?",
    "How do I make Python scripts executable?",
    "Can I delete Python?",
    "What’s a negative index?",  # contraction
    "In Python 3, how do I read a file?",  # lead-in before the interrogative
    "Writing C is hard; are there any alternatives?",  # the FAQ habit of a statement before the question
    "I’ve never programmed before. Is there a Python tutorial?",
    "Is there an equivalent of C’s “?:” ternary operator?",  # a '?' inside quotes is a name
    'What does the option "--verbose" do?',
])
def test_whole_questions_pass(q):
    assert question_problem(q) is None


@pytest.mark.parametrize("q, why", [
    ("in the package status?", "lower case"),  # the tail of a wrapped heading, the bug seen in the wild
    ("Python's with statement?", "interrogative"),
    ("Installation", "question mark"),
    ("Why?", "short"),
    ("What happens if we have a mutable object (`list`?", "unbalanced"),
    ("What is X? And what is Y?", "more than one"),
    ("How do I ...?", "question mark"),
])
def test_fragments_fail_with_their_reason(q, why):
    assert why in question_problem(q)


def test_a_heading_tail_is_caught_even_when_capitalised():
    evidence = "## What does the hold flag mean\nIn the package status?\n\nIt keeps a package."
    joined = "## What does the hold flag mean In the package status?\n\nIt keeps a package."
    assert heading_tail("In the package status?", joined)
    assert not heading_tail("What does the hold flag mean In the package status?", joined)
    assert not heading_tail("In the package status?", evidence)  # its own line: the gate's other rules judge it
    assert not heading_tail("How do I reset it?", "Q: How do I reset it?\nHold the button.")  # a label before it


@pytest.mark.parametrize("a, ok", [
    ("Open the console and press Rotate token.", True),
    ("Yes. The self-hosted edition runs anywhere.", True),
    ("`dir(x)` returns an alphabetized list.", True),
    ("all invoices within 30 days", False),  # lower case, no full stop: a span, not a sentence
    ("Yes.", False),
    ("The agent writes its logs to the.", False),  # cut short
    ("It returns (a list.", False),
])
def test_answers_must_be_whole_sentences(a, ok):
    assert (answer_problem(a) is None) == ok


def test_sentence_capitalises_and_ends():
    assert sentence("within 30 days of the invoice date") == "Within 30 days of the invoice date."
    assert sentence("Done!") == "Done!"
