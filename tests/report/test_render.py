"""report.render.rerender: before re-rendering an old run it checks the folder is a finished run and validates
run.json against today's RunRecord — a missing, renamed or stray field is a one-line ReportError naming it, and
nothing is written. (The rendering itself runs in the end-to-end tests.)"""

import json

import pytest

from rag_vs_ft.report import render as render_module
from rag_vs_ft.report.record import RunRecord
from rag_vs_ft.report.render import ReportError, rerender

from run_records import minimal_record

ROWS = [{"arm": "rag", "question_id": "q1", "answer": "72 hours"}]


def _run_dir(tmp_path, record: dict, rows=ROWS):
    d = tmp_path / "legal" / "run1"
    d.mkdir(parents=True)
    (d / "run.json").write_text(json.dumps(record))
    (d / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return d


@pytest.fixture
def rendered(monkeypatch):
    """What rerender hands to `render` (not run: the report's content is tested end to end)."""
    calls = []
    monkeypatch.setattr(render_module, "render", lambda run_dir, rows, meta: calls.append((run_dir, rows, meta)))
    return calls


def _one_line_error(run_dir) -> str:
    with pytest.raises(ReportError) as exc:
        rerender(run_dir)
    message = str(exc.value)
    assert "\n" not in message
    return message


def test_a_valid_run_is_validated_then_rendered(tmp_path, rendered):
    d = _run_dir(tmp_path, minimal_record())
    rerender(d)
    assert len(rendered) == 1
    run_dir, rows, meta = rendered[0]
    assert run_dir == d and rows == ROWS
    assert isinstance(meta, RunRecord) and meta == RunRecord.model_validate(minimal_record())


@pytest.mark.parametrize("field", ["timings_s", "corpus", "arms", "primary_seed"])
def test_a_run_json_lacking_a_field_is_a_one_line_error_naming_it(tmp_path, rendered, field):
    record = minimal_record()
    del record[field]
    message = _one_line_error(_run_dir(tmp_path, record))
    assert f"({field}: Field required; 1 problem(s))" in message
    assert "run.json does not match" in message and "re-run its command" in message
    assert rendered == []
    assert not (tmp_path / "legal" / "run1" / "report.md").exists()


def test_a_renamed_field_counts_as_two_problems(tmp_path, rendered):
    record = minimal_record()
    record["timing"] = record.pop("timings_s")
    message = _one_line_error(_run_dir(tmp_path, record))
    assert "2 problem(s)" in message and ("timing" in message)
    assert rendered == []


def test_a_missing_nested_field_is_named_by_its_path(tmp_path, rendered):
    record = minimal_record()
    del record["corpus"]["hash"]
    assert "(corpus.hash: Field required; 1 problem(s))" in _one_line_error(_run_dir(tmp_path, record))


def test_a_run_json_that_is_not_json_is_a_one_line_error(tmp_path, rendered):
    d = _run_dir(tmp_path, minimal_record())
    (d / "run.json").write_text('{"config": {"domain": "leg')
    assert "run.json does not match" in _one_line_error(d)
    assert rendered == []


def test_a_folder_that_is_not_a_run(tmp_path, rendered):
    assert "is not a run directory (needs results.jsonl and run.json)" in _one_line_error(tmp_path)
    d = _run_dir(tmp_path, minimal_record())
    (d / "results.jsonl").unlink()
    assert "is not a run directory" in _one_line_error(d)


def test_a_run_without_results(tmp_path, rendered):
    d = _run_dir(tmp_path, minimal_record(), rows=[])
    assert "holds no results" in _one_line_error(d)
    assert rendered == []
