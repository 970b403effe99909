"""`rag-vs-ft label` in a real terminal (a pty, keys sent one by one): labels saved per keypress, quit and resume,
and the re-rendered report shows the decision's agreement with the labels and each arm's share by them."""

import json
import re
import subprocess
import sys

import pytest

from conftest import REPO
from synthetic_run import synthetic_run
from rag_vs_ft.evaluation.labels import label_agreement
from rag_vs_ft.report.context import primary_rows
from rag_vs_ft.report.user_labels import read_labels
from rag_vs_ft.store import read_jsonl
from rag_vs_ft.evaluation.harness import with_correctness

pexpect = pytest.importorskip("pexpect")


def spawn(run_dir, *args):
    child = pexpect.spawn(sys.executable, ["-m", "rag_vs_ft.cli", "label", str(run_dir), *args], cwd=str(REPO),
                          encoding="utf-8", timeout=120, dimensions=(50, 160))
    return child


def test_label_resumes_and_the_report_shows_the_agreement(tmp_path):
    run, _ = synthetic_run(tmp_path, 40)
    rows, _ = primary_rows(with_correctness(read_jsonl(run / "results.jsonl")), 0)
    decision = {(r["arm"], r["question_id"]): bool(r["correct"]) for r in rows}
    answer = {(r["arm"], r["question_id"]): r["answer"] for r in rows}

    child = spawn(run, "--n", "16")
    child.expect("answer 1/16")
    sample = [tuple(k) for k in json.loads((run / "labels.sample.json").read_text())["answers"]]
    assert len(sample) == 16 and len({k[0] for k in sample}) == 7  # every arm
    # this user agrees with the decision except on rag's accepted answers, which they find wrong
    mine = {k: decision[k] and k[0] != "rag" for k in sample}
    for i, key in enumerate(sample[:6]):
        if i:
            child.expect(f"answer {i + 1}/16")
        child.expect("answer to judge")
        child.expect("quit")
        assert answer[key] in child.before  # the answer shown is the one the sample says
        child.send("y" if mine[key] else "n")
    child.expect("answer 7/16")
    child.send("q")
    child.expect("6 of 16 answers labelled")
    child.expect(pexpect.EOF)
    assert len(read_labels(run)) == 6  # each keypress was saved

    child = spawn(run)  # resumes where it stopped
    child.expect("answer 7/16")
    for i, key in enumerate(sample[6:], 7):
        if i > 7:
            child.expect(f"answer {i}/16")
        child.expect("quit")
        child.send("c" if mine[key] else "i")
    child.expect("16 of 16 answers labelled")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert read_labels(run) == mine

    expected = label_agreement(rows, mine, resamples=2000, seed=0)
    report = (run / "report.md").read_text()
    section = report.split("## Your labels")[1].split("\n## ")[0]
    assert re.search(rf"Cohen's κ\s+{expected['kappa']:.2f} \[", section)
    assert f"balanced accuracy {expected['balanced_accuracy']:.2f}" in section
    rag = next(a for a in expected["arms"] if a["arm"] == "rag")
    assert f"| rag | {rag['labelled']} | {rag['auto_share']:.3f} | {rag['label_share']:.3f} [" in section
    assert ("does not match your judgement" in report) == (expected["kappa"] < 0.6)
    assert "### Disagreements with your labels" in section and "`rag` — decision **correct**" in section

    code = subprocess.run([sys.executable, "-m", "rag_vs_ft.cli", "report", str(run)],
                                        capture_output=True, text=True, cwd=REPO)
    assert code.returncode == 0 and (run / "report.md").read_text() == report  # labels survive re-rendering


def test_label_outside_a_terminal_is_a_one_line_error(tmp_path):
    from conftest import cli

    run, _ = synthetic_run(tmp_path, 10)
    code, _, err = cli("label", str(run))
    assert code != 0 and "terminal" in err and len(err.strip().splitlines()) == 1
