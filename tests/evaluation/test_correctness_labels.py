"""The correctness decision against hand labels from three corpora, leave-one-corpus-out: the figures in
evals/README.md are recomputed here, and the shipped rule must be the one the labels choose."""

import re

import pytest
from conftest import REPO
from labelled import CORPORA, LABELS, labelled

from rag_vs_ft.evaluation.calibration import GRID, fit, leave_one_corpus_out
from rag_vs_ft.evaluation.correctness import RULE

README = REPO / "evals" / "README.md"
ARMS = {"prompt", "rag", "finetune", "finetune_rag", "oracle", "extractive"}


@pytest.fixture(scope="module")
def by_corpus(cache_dir, tmp_path_factory):
    return labelled(cache_dir, tmp_path_factory.mktemp("labelled"))


def test_the_labelled_set_spans_corpora_and_arms():
    import json

    rows = [json.loads(line) for line in LABELS.read_text().splitlines()]
    assert len(rows) >= 400 and {r["corpus"] for r in rows} == set(CORPORA)
    for corpus in CORPORA:
        mine = [r for r in rows if r["corpus"] == corpus]
        assert {r["arm"] for r in mine} >= ARMS, corpus
        assert 10 <= sum(r["label"] for r in mine) <= len(mine) - 10, corpus  # both classes represented
    assert len({r["item"] for r in rows}) == len(rows)


def test_shipped_rule_is_the_one_all_labels_choose(by_corpus):
    assert RULE in GRID
    assert fit(by_corpus) == RULE


def test_leave_one_corpus_out_figures_match_the_readme(by_corpus):
    held = {h.corpus: h for h in leave_one_corpus_out(by_corpus)}
    text = README.read_text()
    for corpus, h in held.items():
        row = re.search(rf"^\| {corpus} \| (\d+) \((\d+) correct\) \| ([0-9.-]+) \[([0-9.-]+), ([0-9.-]+)\] \| "
                        r"([0-9.]+) \|", text, re.M)
        assert row, f"evals/README.md has no leave-one-corpus-out row for {corpus}"
        stated = (int(row[1]), int(row[2]), float(row[3]), float(row[4]), float(row[5]), float(row[6]))
        assert stated == (h.n, h.correct, round(h.kappa, 3), round(h.interval[0], 3), round(h.interval[1], 3),
                          round(h.balanced_accuracy, 3)), corpus
