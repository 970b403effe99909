"""cli, in process (typer's CliRunner on `rag_vs_ft.cli.app`; tests/test_cli.py runs the installed command in a
fresh process): `keys` lists every settable key with its default, and bad input to `run`, `report` and
`domains` exits 2 with one line on stderr before anything is computed."""

import json

import pytest
from typer.testing import CliRunner

from rag_vs_ft.cli import app
from rag_vs_ft.config import RunConfig, valid_keys
from run_records import minimal_record


@pytest.fixture
def invoke(tmp_path, monkeypatch):
    """Run the CLI in `tmp_path` (so relative default paths land there); returns the click Result."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


def _one_line_error(result, code=2) -> str:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_keys_lists_every_key_once_with_its_default(invoke):
    result = invoke("keys")
    assert result.exit_code == 0
    text = result.stdout
    assert "model.backend = hf\n" in text
    assert "eval.profile = default\n" in text and "finetune.method = qlora\n" in text
    for key in valid_keys():
        assert text.count(f"\n{key} = ") + text.startswith(f"{key} = ") == 1, key
    assert f"cache_dir = {RunConfig().cache_dir}\n" in text


def test_keys_prints_one_line_per_key(invoke):
    lines = invoke("keys").stdout.splitlines()
    assert len(lines) == len(valid_keys()) and all(" = " in line for line in lines)


def test_run_with_an_unknown_arm_exits_2_with_one_line(invoke, tmp_path):
    line = _one_line_error(invoke("run", "eval.arms=[magic]", f"cache_dir={tmp_path / 'cache'}"))
    assert line.startswith("error: eval.arms: unknown arm(s) ['magic']; choose from [")
    assert list(tmp_path.iterdir()) == []  # nothing written: no reports/, no cache


def test_run_with_an_unknown_key_names_the_valid_ones(invoke):
    line = _one_line_error(invoke("run", "eval.armz=[rag]"))
    assert line.startswith("error: unknown config key 'eval.armz'; valid keys: ") and "eval.arms" in line


@pytest.mark.parametrize("override, start", [
    ("model.backend=vllm", "error: model.backend: unknown generator backend 'vllm'"),
    ("split.test=2", "error: bad value for split.test: "),
    ("eval.limit", "error: override 'eval.limit' is not key=value"),
])
def test_run_with_a_bad_setting_exits_2_with_one_line(invoke, tmp_path, override, start):
    assert _one_line_error(invoke("run", override, f"cache_dir={tmp_path / 'cache'}")).startswith(start)


def test_report_on_a_folder_that_is_not_a_run(invoke, tmp_path):
    line = _one_line_error(invoke("report", str(tmp_path)))
    assert line == f"error: {tmp_path} is not a run directory (needs results.jsonl and run.json)"


def test_report_on_an_old_run_json_names_the_missing_field(invoke, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    record = minimal_record()
    del record["primary_seed"]
    (run / "run.json").write_text(json.dumps(record))
    (run / "results.jsonl").write_text(json.dumps({"arm": "rag", "question_id": "q1"}) + "\n")
    line = _one_line_error(invoke("report", str(run)))
    assert "(primary_seed: Field required; 1 problem(s))" in line
    assert not (run / "report.md").exists()


def test_domains_without_any_domain(invoke, tmp_path):
    (tmp_path / "corpora").mkdir()
    assert _one_line_error(invoke("domains", "--corpora-dir", "corpora")) == "error: no domains under corpora"


def test_profiles_lists_the_default_profile(invoke):
    result = invoke("profiles")
    assert result.exit_code == 0 and "default:" in result.stdout


def test_no_command_shows_the_commands(invoke):
    result = invoke()
    assert "Usage" in result.output
    assert all(name in result.output for name in ("run", "report", "keys", "domain"))


def test_serve_refuses_a_model_without_a_gguf_in_one_line_before_any_compute(invoke, tmp_path):
    line = _one_line_error(invoke("serve", "model.name=some-org/some-model", f"cache_dir={tmp_path / 'cache'}"))
    assert "model.backend=llamacpp serves the embedded model's GGUF only" in line
    assert not (tmp_path / "cache").exists()  # nothing was trained or converted


def test_serve_rejects_a_bad_key_in_one_line(invoke):
    assert "unknown config key" in _one_line_error(invoke("serve", "model.nme=x"))
