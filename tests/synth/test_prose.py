"""Questions from documentation prose: each shape gives its question, the answer is the whole sentence, and
sentences that refer to text the question cannot carry ("such a window", "the function") give none."""

import pytest

from rag_vs_ft.synth.extractive import blocks, corpus_names
from rag_vs_ft.synth.prose import option_pair, procedure_pairs, prose_pair, table_rows


@pytest.mark.parametrize("s, q", [
    ("To install a package, run apt-get install followed by its name.", "How do you install a package?"),
    ("If the file does not exist, open() raises FileNotFoundError.", "What happens if the file does not exist?"),
    ("If you want to upgrade the whole system, run apt full-upgrade as root.", "How do you upgrade the whole system?"),
    ("When the network drops, the client retries every ten seconds.", "What happens when the network drops?"),
    ("You can list installed packages by running dpkg -l in a terminal.", "How can you list installed packages?"),
    ("Use the --verbose flag to print every step of the build.", "How do you print every step of the build?"),
    ("The `sort()` method returns None and sorts the list in place.", "What does the `sort()` method return?"),
    ("Lists support slicing and concatenation like strings.", "What do lists support?"),
    ("The package manager is used to install and remove software.", "What is the package manager used for?"),
    ("Packages can be installed with apt or with the graphical tool.", "How can packages be installed?"),
    ("The rag-vs-ft tool allows you to compare four approaches.", "What does the rag-vs-ft tool allow you to do?"),
])
def test_prose_shapes(s, q):
    assert prose_pair(s) == (q, s)


@pytest.mark.parametrize("s", [
    "It returns a value.",
    "To date, nobody has done it.",
    "Once you have started such a window, you are well on the way.",  # "such": context the question lacks
    "The function returns an iterator object.",  # which function?
    "Hash lists by their address.",  # an instruction: "Hash" is no subject
    "When known to the interpreter, the script name is passed on.",  # elliptical: no subject
    "Binary mode data is read and written as bytes objects.",
])
def test_sentences_without_a_fair_question_give_none(s):
    assert prose_pair(s) is None


def test_names_keep_their_capital():
    names = corpus_names(["Many people use Python daily, and Python runs everywhere. Lists hold items; the lists grow."])
    assert "Python" in names and "Lists" not in names
    assert prose_pair("Python provides two hooks for customisation.", names)[0] == "What does Python provide?"


def test_procedure_and_option_table():
    pairs = procedure_pairs("To build the documentation, follow these steps:",
                            ["Install Sphinx with pip.", "Run make html in the docs folder.", "Open the index page."])
    assert pairs == [("What is the first step to build the documentation?", "Install Sphinx with pip."),
                     ("What is the last step to build the documentation?", "Open the index page.")]
    rows = table_rows(["| Option | Meaning |", "| --- | --- |", "| `--dry-run` | print what would be copied |"])
    assert option_pair(*rows[0]) == ('What does the option "--dry-run" do?', "Print what would be copied.")
    rows = table_rows(["-v, --verbose    Print more output about each step."])
    assert option_pair(*rows[0])[0] == 'What does the option "-v, --verbose" do?'


def test_blocks_read_wrapped_questions_setext_titles_and_skip_code():
    text = ("How do I configure the agent so that it keeps working when\nthe network drops?\nSet the retry interval.\n\n"
            "First\nsynchronisation of a folder\n--------------------------\n\nRun tarn init.\n\n"
            "```\n# not a heading\n```\n")
    got = blocks(text)
    assert ("heading", ["How do I configure the agent so that it keeps working when the network drops?"]) in got
    assert ("heading", ["First synchronisation of a folder"]) in got
    assert not any("not a heading" in " ".join(lines) for _, lines in got)


def test_numbered_faq_headings_lose_their_section_number():
    from rag_vs_ft.synth.extractive import extract_pairs
    from rag_vs_ft.synth.filters import SourceChunk, rejection

    text = ("## 1.1 What is the Tarn sync tool?\n\nTarn is a tool that copies a folder to a remote store.\n\n"
            "## 1.2. Where can I get it?\n\nYou can download it from the release page of the project.\n")
    pairs = extract_pairs(SourceChunk("d#0", "d", "T", text))
    assert [p.question for p in pairs] == ["What is the Tarn sync tool?", "Where can I get it?"]
    assert all(rejection(p, []) is None for p in pairs)
