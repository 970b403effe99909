"""cli_domain, in process (typer's CliRunner): `domain init`, `synth` and `validate` on a two-file folder with
the extractive generator (no model), and their one-line errors — an unknown or bad synth setting, an unknown
domain, an empty folder, a bad validate override — each exiting 2 before any work."""

import json

import pytest
from typer.testing import CliRunner

from rag_vs_ft.cli_domain import domain_app
from rag_vs_ft.synth import SynthSettings

GUIDE = ("# Guide\n\n## How do I reset the hub?\n\nHold the pairing button for ten seconds until the light blinks."
         "\n\n## How do I rename a room?\n\nLong press the room card and choose Rename from the menu.\n\n"
         "## Why is the light red?\n\nA red light means the hub has lost its power backup and needs a charge.\n")
FAQ = ("# FAQ\n\n## How long is the warranty?\n\nThe warranty lasts two years from the date of purchase for every "
       "hub.\n\n## Can I use the hub outdoors?\n\nNo. The hub is rated for indoor use only and must stay dry at all "
       "times.\n\n## Which app controls the hub?\n\nThe Lumo app controls the hub on phones and tablets.\n")


@pytest.fixture
def invoke(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    return lambda *args: runner.invoke(domain_app, list(args))


@pytest.fixture
def docs(tmp_path):
    d = tmp_path / "docs"
    d.mkdir()
    (d / "guide.md").write_text(GUIDE)
    (d / "faq.md").write_text(FAQ)
    return d


def _one_line_error(result, code=2) -> str:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_init_synth_validate_a_folder(invoke, docs, tmp_path):
    cache = f"cache_dir={tmp_path / 'cache'}"
    init = invoke("init", "toy", "--from", str(docs), "--corpora-dir", "corpora")
    assert init.exit_code == 0, init.stderr
    assert "created corpora/toy/domain.yaml: 2 documents from 2 of 2 files" in " ".join(init.stdout.split())
    assert (tmp_path / "corpora" / "toy" / "domain.yaml").exists()

    synth = invoke("synth", "toy", "--corpora-dir", "corpora", cache)
    assert synth.exit_code == 0, synth.stderr
    rows = [json.loads(line) for line in (tmp_path / "corpora" / "toy" / "qa.jsonl").read_text().splitlines()]
    assert rows and all(r["origin"] == "synthetic" for r in rows)
    assert any(not r["answerable"] for r in rows) and any(r["answerable"] for r in rows)
    assert f"wrote {len(rows)} questions to corpora/toy/qa.jsonl" in " ".join(synth.stdout.split())
    doc_ids = {d for r in rows for d in r.get("doc_ids", [])}
    assert doc_ids <= {"guide-md", "faq-md"}

    validate = invoke("validate", "toy", "corpora_dir=corpora", cache)
    assert validate.exit_code == 0, validate.stderr
    assert "toy: 2 documents" in validate.stdout and validate.stdout.rstrip().splitlines()[-1].startswith("ok")


def test_synth_with_an_unknown_key_exits_2_with_one_line(invoke):
    line = _one_line_error(invoke("synth", "legal", "nokey=1"))
    assert line.startswith("error: unknown config key 'nokey'; valid keys: ")
    assert line.split("valid keys: ")[1].split(", ") == sorted(SynthSettings.model_fields)


def test_synth_with_a_bad_value_exits_2_naming_the_setting(invoke):
    line = _one_line_error(invoke("synth", "legal", "max_questions=abc"))
    assert line.startswith("error: bad synth setting max_questions: ")


def test_synth_with_inconsistent_settings_exits_2(invoke):
    line = _one_line_error(invoke("synth", "legal", "chunk_size=100", "chunk_overlap=200"))
    assert "chunk_overlap must be smaller than chunk_size" in line


def test_synth_on_an_unknown_domain_exits_2(invoke, tmp_path):
    (tmp_path / "corpora").mkdir()
    line = _one_line_error(invoke("synth", "nosuch", "--corpora-dir", "corpora", f"cache_dir={tmp_path / 'c'}"))
    assert "nosuch" in line


def test_init_on_an_empty_folder_exits_2(invoke, tmp_path):
    (tmp_path / "empty").mkdir()
    _one_line_error(invoke("init", "toy", "--from", "empty", "--corpora-dir", "corpora"))
    assert not (tmp_path / "corpora" / "toy" / "domain.yaml").exists()


def test_init_refuses_to_overwrite_without_the_flag(invoke, docs, tmp_path):
    assert invoke("init", "toy", "--from", str(docs), "--corpora-dir", "corpora").exit_code == 0
    before = (tmp_path / "corpora" / "toy" / "domain.yaml").read_text()
    _one_line_error(invoke("init", "toy", "--from", str(docs), "--corpora-dir", "corpora"))
    assert (tmp_path / "corpora" / "toy" / "domain.yaml").read_text() == before
    assert invoke("init", "toy", "--from", str(docs), "--corpora-dir", "corpora", "--overwrite").exit_code == 0


def test_validate_with_a_bad_override_exits_2(invoke):
    line = _one_line_error(invoke("validate", "legal", "split.test=7"))
    assert line.startswith("error: bad value for split.test")


def test_validate_reports_questions_citing_missing_documents_and_exits_1(invoke, docs, tmp_path):
    assert invoke("init", "toy", "--from", str(docs), "--corpora-dir", "corpora").exit_code == 0
    (tmp_path / "corpora" / "toy" / "qa.jsonl").write_text(json.dumps(
        {"id": "q1", "question": "How long is the warranty?", "answer": "Two years.", "doc_ids": ["no-such-doc"],
         "answerable": True, "kind": "faq"}) + "\n")
    result = invoke("validate", "toy", "corpora_dir=corpora", f"cache_dir={tmp_path / 'cache'}")
    assert result.exit_code == 1
    assert "no-such-doc" in result.stderr and result.stderr.startswith("error: ")
