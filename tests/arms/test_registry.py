"""The arm seam: every approach and reference row is one registered module; a new one needs no other edit."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import REPO, cli
from rag_vs_ft.arms.registry import ArmSpec, arm_names, candidates, references, register, registered
from rag_vs_ft.config import ConfigError, load_config

TOY = textwrap.dedent('''
    """A toy approach kept outside the package: it answers every question with the question itself."""
    import time

    from rag_vs_ft.arms.base import ArmAnswer
    from rag_vs_ft.arms.registry import ArmSpec, register


    class Parrot:
        name, uses_retrieval = "parrot", False

        def answer(self, questions, on_batch=None):
            return [ArmAnswer(q.id, q.question, 1e-6, 0, 0) for q in questions]


    register(ArmSpec("parrot", "candidate", "repeats the question", lambda inputs: Parrot(), uses_model=False,
                     complexity=5))
''')


def test_shipped_arms_are_registered_with_their_roles():
    specs = registered()
    assert candidates() == ["prompt", "rag", "finetune", "finetune_rag"]  # simplest to run first
    assert set(references()) == {"always-refuse", "majority", "extractive", "oracle"}
    assert specs["oracle"].role == "ceiling" and specs["finetune_rag"].tuned and specs["rag"].uses_retrieval
    assert not any(specs[f].uses_model for f in ("always-refuse", "majority", "extractive"))


def test_a_name_cannot_be_registered_twice_with_another_meaning():
    import pytest

    spec = registered()["prompt"]
    register(spec)  # the same spec again (a module imported twice) is fine
    with pytest.raises(ValueError, match="two arms"):
        register(ArmSpec("prompt", "floor", "not the prompt arm", spec.make))


def test_a_new_arm_module_reaches_results_and_report_with_no_other_edit(tmp_path):
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "toy_parrot.py").write_text(TOY)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "guide.md").write_text("# Guide\n\n## How do I reset the hub?\n\nHold the pairing button for ten seconds "
                                   "until the light blinks.\n\n## How do I rename a room?\n\nLong press the room card "
                                   "and choose Rename from the menu.\n\n## Why is the light red?\n\nA red light means "
                                   "the hub has lost its power backup and needs a charge.\n")
    corpora = tmp_path / "corpora"
    assert cli("domain", "init", "toy", "--from", str(docs), "--corpora-dir", str(corpora), "--min-chars", "50")[0] == 0
    assert cli("domain", "synth", "toy", "--corpora-dir", str(corpora))[0] == 0
    env = {**os.environ, "RAG_VS_FT_ARMS": "toy_parrot",
           "PYTHONPATH": os.pathsep.join([str(tmp_path / "plugins"), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-m", "rag_vs_ft.cli", "run", "domain=toy", f"corpora_dir={corpora}",
                           f"output_dir={tmp_path / 'out'}", f"cache_dir={tmp_path / 'cache'}", "run_id=toy",
                           "eval.arms=[parrot]", "eval.references=[always-refuse]", "eval.forgetting=false",
                           "split.train=0.5", "split.dev=0.1", "split.test=0.4", "eval.bootstrap_resamples=100"],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = tmp_path / "out" / "toy" / "toy"
    rows = [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines()]
    assert {r["arm"] for r in rows} == {"parrot", "always-refuse"}
    assert all(r["answer"] == r["question"] for r in rows if r["arm"] == "parrot")
    report = (run / "report.md").read_text()
    assert "| parrot |" in report and "| always-refuse *(floor)* |" in report
    assert json.loads((run / "run.json").read_text())["arms"]["parrot"]["summary"] == "repeats the question"


def test_default_arm_names_are_every_candidate_then_every_reference_row():
    assert arm_names(load_config([]).eval) == ["prompt", "rag", "finetune", "finetune_rag",
                                               "always-refuse", "extractive", "majority", "oracle"]
    assert arm_names(load_config(["eval.arms=[rag]", "eval.references=[]"]).eval) == ["rag"]


@pytest.mark.parametrize("override, where", [("eval.arms=[rag,magic]", "eval.arms"), ("eval.arms=[]", "eval.arms"),
                                             ("eval.references=[oracle,rag]", "eval.references")])
def test_an_unregistered_arm_name_is_a_one_line_config_error(override, where):
    with pytest.raises(ConfigError) as exc:
        arm_names(load_config([override]).eval)
    assert where in str(exc.value) and "\n" not in str(exc.value)
