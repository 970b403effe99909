"""One module per seam, and nothing else edited: a toy arm, a toy fine-tuning recipe (with the arm that answers
with its adapter) and a toy metric, each written by this test as one new module outside the package, reach the
results, run.json and the report of a real run."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import REPO, cli

TOY_ARM = textwrap.dedent('''
    """A toy approach: it answers every question with the question itself."""
    from rag_vs_ft.arms.base import ArmAnswer
    from rag_vs_ft.arms.registry import ArmSpec, register


    class Parrot:
        name, uses_retrieval = "parrot", False

        def answer(self, questions, on_batch=None):
            return [ArmAnswer(q.id, q.question, 1e-6, 0, 0) for q in questions]


    register(ArmSpec("parrot", "candidate", "repeats the question", lambda inputs: Parrot(), uses_model=False,
                     complexity=5))
''')

TOY_RECIPE = textwrap.dedent('''
    """A toy recipe: the train questions alone (no generated ones), and the closed-book arm that answers with it."""
    from rag_vs_ft.arms.finetune import FinetuneArm
    from rag_vs_ft.arms.registry import ArmSpec, register as register_arm
    from rag_vs_ft.finetune.data import encode_qa
    from rag_vs_ft.finetune.recipes.registry import Recipe, register
    from rag_vs_ft.finetune.recipes.selection import group, select


    def build(tok, inp, cfg, budget, seed):
        items = [("train QA only", group(q), q.doc_ids, encode_qa(tok, q, cfg.max_length)) for q in inp.train_qa]
        return select("train_only", items, [encode_qa(tok, q, cfg.max_length) for q in inp.dev_qa], budget,
                      cfg.dev_max_tokens)


    register(Recipe("train_only", "a drill on the train questions alone", build))
    register_arm(ArmSpec("drill", "candidate", "the model drilled on the train questions",
                         lambda i: FinetuneArm(i.generator), tuned=True, recipe="train_only", complexity=4))
''')

TOY_METRIC = textwrap.dedent('''
    """A toy metric: how many words an answer has."""
    from rag_vs_ft.evaluation.columns import Column, register


    def score(question, answer):
        return float(len(answer.answer.split()))


    register(Column("answer_words", "answer words", "quality", plotted=True, score=score))
''')

DOCS = {"guide.md": "# Guide\n\n## How do I reset the hub?\n\nHold the pairing button for ten seconds until the light "
                    "blinks.\n\n## How do I rename a room?\n\nLong press the room card and choose Rename from the "
                    "menu.\n\n## Why is the light red?\n\nA red light means the hub has lost its power backup and "
                    "needs a charge.\n"}


@pytest.fixture(scope="module")
def plugin_run(tmp_path_factory, cache_dir):
    tmp = tmp_path_factory.mktemp("plugins")
    (tmp / "plugins").mkdir()
    for name, text in {"toy_parrot": TOY_ARM, "toy_recipe": TOY_RECIPE, "toy_words": TOY_METRIC}.items():
        (tmp / "plugins" / f"{name}.py").write_text(text)
    (tmp / "docs").mkdir()
    for name, text in DOCS.items():
        (tmp / "docs" / name).write_text(text)
    corpora = tmp / "corpora"
    assert cli("domain", "init", "toy", "--from", str(tmp / "docs"), "--corpora-dir", str(corpora),
               "--min-chars", "50")[0] == 0
    assert cli("domain", "synth", "toy", "--corpora-dir", str(corpora))[0] == 0
    env = {**os.environ, "RAG_VS_FT_ARMS": "toy_parrot,toy_recipe", "RAG_VS_FT_RECIPES": "toy_recipe",
           "RAG_VS_FT_METRICS": "toy_words",
           "PYTHONPATH": os.pathsep.join([str(tmp / "plugins"), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-m", "rag_vs_ft.cli", "run", "domain=toy", f"corpora_dir={corpora}",
                           f"output_dir={tmp / 'out'}", f"cache_dir={cache_dir}", "run_id=toy",
                           "eval.arms=[parrot,drill]", "eval.references=[always-refuse]", "eval.forgetting=false",
                           "eval.latency_sample=0", "finetune.max_steps=1", "model.max_new_tokens=16",
                           "split.train=0.5", "split.dev=0.1", "split.test=0.4", "eval.bootstrap_resamples=100"],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = tmp / "out" / "toy" / "toy"
    rows = [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines()]
    return rows, json.loads((run / "run.json").read_text()), (run / "report.md").read_text()


def test_a_new_arm_module_reaches_results_and_report(plugin_run):
    rows, meta, report = plugin_run
    assert {r["arm"] for r in rows} == {"parrot", "drill", "always-refuse"}
    assert all(r["answer"] == r["question"] for r in rows if r["arm"] == "parrot")
    assert "| parrot |" in report and "| always-refuse *(floor)* |" in report
    assert meta["arms"]["parrot"]["summary"] == "repeats the question"


def test_a_new_recipe_module_trains_the_adapter_its_arm_answers_with(plugin_run):
    rows, meta, report = plugin_run
    adapters = [a for a in meta["adapters"] if a["recipe"] == "train_only"]
    assert len(adapters) == 1 and adapters[0]["training_set"]["sources"] == {
        "train QA only": adapters[0]["training_set"]["examples"]}  # nothing but the recipe's own examples
    assert meta["recipes"] == {"train_only": "a drill on the train questions alone"}
    assert "`drill` a drill on the train questions alone" in report
    assert any(r["arm"] == "drill" and r["answer"] for r in rows)


def test_a_new_metric_module_is_scored_summarised_and_shown(plugin_run):
    rows, meta, report = plugin_run
    assert all(r["answer_words"] == len(r["answer"].split()) for r in rows)
    header = next(line for line in report.splitlines() if line.startswith("| arm |") and "answer words" in line)
    cells = [c.strip() for c in header.strip("|").split("|")]
    parrot = next(line for line in report.splitlines() if line.startswith("| parrot |") and line.count("|") ==
                  header.count("|"))
    shown = [c.strip() for c in parrot.strip("|").split("|")][cells.index("answer words")]
    parrot_words = [len(r["answer"].split()) for r in rows if r["arm"] == "parrot"]
    assert shown.startswith(f"{sum(parrot_words) / len(parrot_words):.3f} [")
