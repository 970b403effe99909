"""`rag-vs-ft compare`: runs on the same questions side by side; different questions refused unless --anyway."""

import pytest

from browser import open_page, rendered
from conftest import cli
from synthetic_run import synthetic_run


@pytest.fixture
def two_runs(tmp_path):
    return synthetic_run(tmp_path / "seed0", 60, seed=0)[0], synthetic_run(tmp_path / "seed1", 60, seed=1)[0]


def test_compare_writes_one_page_for_runs_on_the_same_questions(tmp_path, two_runs):
    code, out, err = cli("compare", *map(str, two_runs), "--out", str(tmp_path / "cmp"))
    assert code == 0, err
    md = (tmp_path / "cmp" / "compare.md").read_text()
    assert "same 60 test questions" in md and "No setting listed below differs" in md
    for arm in ("prompt", "rag", "finetune", "finetune_rag", "always-refuse", "extractive", "oracle"):
        assert f"| {arm} |" in md
    table = md.split("## Correct answers")[1]
    rag = next(line for line in table.splitlines() if line.startswith("| rag |"))
    assert rag.count("[") == 2  # a headline with its interval per run
    assert md.count("**verdict**") == 1 and "## Verdicts" in md
    html = (tmp_path / "cmp" / "compare.html").read_text()
    assert 'src="data:image/png;base64,' in html and "<script" not in html
    with open_page(tmp_path / "cmp" / "compare.html") as (page, seen):
        shot = page.screenshot(full_page=True)
        text = page.inner_text("body")
    assert rendered(shot) and "rag-vs-ft comparison of 2 runs" in text
    assert not seen.errors and seen.foreign_requests() == []


def test_runs_on_different_questions_are_refused_unless_asked(tmp_path, two_runs):
    other = synthetic_run(tmp_path / "small", 30)[0]
    code, _, err = cli("compare", str(two_runs[0]), str(other), "--out", str(tmp_path / "cmp"))
    assert code != 0 and "different test questions" in err and "--anyway" in err
    assert not (tmp_path / "cmp").exists()
    code, _, err = cli("compare", str(two_runs[0]), str(other), "--out", str(tmp_path / "cmp"), "--anyway")
    assert code == 0, err
    assert "answered different test questions" in (tmp_path / "cmp" / "compare.md").read_text()


def test_compare_needs_two_run_directories(tmp_path, two_runs):
    code, _, err = cli("compare", str(two_runs[0]))
    assert code != 0 and "at least two" in err
    code, _, err = cli("compare", str(two_runs[0]), str(tmp_path))
    assert code != 0 and "not a run directory" in err
