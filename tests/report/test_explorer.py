"""The question explorer: its data (pure), and the page in real headless chromium on a 1,000-question run of
seven arms — filters counted against the rows, a question opened, no console error, its render time printed."""

import json
import random
import re

import pytest

from browser import open_page, rendered
from synthetic_run import ARMS, answers, questions, synthetic_run
from rag_vs_ft.answer import Answer
from rag_vs_ft.corpus.schema import QAItem
from rag_vs_ft.evaluation.harness import score_answers
from rag_vs_ft.report.explorer import explorer_data, explorer_html

def specs():
    return {a: {"role": role, "uses_retrieval": retrieval} for a, (role, retrieval, _) in ARMS.items()}


def test_explorer_data_marks_the_evidence_each_arm_read():
    qs = questions(3)
    rows = [r for arm in ("rag", "oracle") for r in score_answers(arm, True, qs, answers(arm, qs, random.Random(1)))]
    data = explorer_data(rows, specs(), ["rag", "oracle"])
    assert [q["id"] for q in data["questions"]] == ["q0", "q1", "q2"]
    for q, r in zip(data["questions"], [r for r in rows if r["arm"] == "rag"]):
        read = q["by"]["rag"]["read"]
        assert [data["chunks"][c] for c, _ in read] == r["contexts"]
        assert [mark for _, mark in read] == [d in r["doc_ids"] for d in r["context_ids"]]
        assert [data["chunks"][c] for c in q["evidence"]] == ["chunk of " + q["gold"][0], "chunk of d" + str(
            int(q["id"][1:]) + 2)]  # the ceiling's chunks are the gold evidence shown
        assert q["by"]["rag"]["class"] in data["classes"]
    assert len(data["chunks"]) == len(set(data["chunks"]))  # every chunk text stored once


def test_explorer_data_stays_inert_and_its_script_is_allowed_by_hash():
    row = score_answers("prompt", False, [QAItem("x", "q </script><!-- & <b>", "ref", ("d",), True, "k")],
                        [Answer("x", "</script><script>alert(1)</script>", 0.1, 1, 1)])
    html, source = explorer_html(explorer_data(row, specs(), ["prompt"]))
    data = html.split('id="explorer-data">')[1].split("</script>")[0]
    assert "<" not in data and ">" not in data and "&" not in data
    assert json.loads(data)["questions"][0]["by"]["prompt"]["answer"] == "</script><script>alert(1)</script>"
    assert re.fullmatch(r"'sha256-[A-Za-z0-9+/]+=*'", source)


@pytest.mark.slow
def test_explorer_filters_and_opens_questions_in_a_browser_on_1000_questions(tmp_path):
    run, rows = synthetic_run(tmp_path, 1000)
    by = {(r["arm"], r["question_id"]): r for r in rows}
    ids = [f"q{i}" for i in range(1000)]
    with open_page(run / "report.html") as (page, seen):
        page.wait_for_selector("#explorer-app[data-ready='1']", timeout=60_000)
        ready_s = int(page.get_attribute("#explorer-app", "data-ready-ms")) / 1000

        def shown() -> int:
            n = int(page.get_attribute("#explorer-count", "data-shown"))
            assert page.locator("#explorer-table tbody tr:not([hidden])").count() == n
            return n

        assert shown() == 1000
        page.select_option("#ex-kind", "origin")
        assert shown() == sum(by[("rag", q)]["kind"] == "origin" for q in ids)
        page.select_option("#ex-kind", "")
        page.select_option("#ex-right", "rag")
        page.select_option("#ex-wrong", "finetune")
        assert shown() == sum(by[("rag", q)]["correct"] and not by[("finetune", q)]["correct"] for q in ids) > 0
        page.select_option("#ex-right", "")
        page.select_option("#ex-wrong", "")
        page.select_option("#ex-arm", "rag")
        page.select_option("#ex-class", "retrieval miss")
        misses = sum(by[("rag", q)]["answerable"] and not by[("rag", q)]["correct"]
                     and not by[("rag", q)].get("context_recall") for q in ids)
        assert shown() == misses > 0
        page.select_option("#ex-class", "")
        page.select_option("#ex-arm", "")
        page.fill("#ex-text", "widget 737?")
        assert shown() == 1
        page.locator("#explorer-table tbody tr:not([hidden])").first.click()
        assert page.get_attribute("#explorer-detail", "data-question") == "q737"
        detail = page.inner_text("#explorer-detail")
        assert by[("rag", "q737")]["answer"] in detail and "Widget 737 is painted" in detail
        assert page.locator("#explorer-detail .ex-answer").count() == len(ARMS)
        assert rendered(page.screenshot(full_page=False))
    assert not seen.errors and seen.foreign_requests() == []
    print(f"explorer on 1,000 questions x {len(ARMS)} arms: ready {ready_s:.2f} s after navigation began "
          f"(report.html {(run / 'report.html').stat().st_size / 1e6:.1f} MB)")
