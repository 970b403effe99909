"""The README's main command, on a small slice of the real legal corpus with the real embedded model."""

import json
import re
import subprocess
import sys

import os

import pytest
from judge_stub import serve_stub

from conftest import REPO
from rag_vs_ft.evaluation.harness import summarize
from rag_vs_ft.report.context import primary_rows

SECRET = "sk-e2e-NEVER-WRITE-ME-91c2"

SLICE = ["eval.limit=6", "finetune.max_steps=2", "finetune.eval_every=1", "finetune.dev_max_tokens=1500",
         "model.max_new_tokens=24",
         "eval.bootstrap_resamples=500", "eval.few_shot_dev=8", "finetune.seeds=[0,1]"]  # CPU default: one seed


def readme_run_command() -> list[str]:
    """The `rag-vs-ft run ...` line the README tells users to run."""
    text = (REPO / "README.md").read_text()
    m = re.search(r"^rag-vs-ft run domain=legal[^\n`]*$", text, re.M)
    assert m, "README must show `rag-vs-ft run domain=legal`"
    return m.group(0).split()[1:]


def test_readme_commands_match_ci():
    text = (REPO / "README.md").read_text()
    ci = (REPO / ".ci/run").read_text()
    assert "make run" in text and "make test" in text
    assert "make test" in ci
    makefile = (REPO / "Makefile").read_text()
    assert "rag-vs-ft run domain=legal" in makefile and "pytest" in makefile


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, cache_dir):
    """One real run. Its answer and adapter caches start empty (a warm user cache must not let the test skip
    generation or training); the converted model, wheels and index are shared because they are slow to rebuild."""
    out = tmp_path_factory.mktemp("reports")
    run_cache = tmp_path_factory.mktemp("cache")
    for shared in ("models", "wheels", "index"):
        (cache_dir / shared).mkdir(parents=True, exist_ok=True)
        (run_cache / shared).symlink_to(cache_dir / shared)
    with serve_stub() as judge:  # a local OpenAI-compatible judge; its key must never be written anywhere
        args = readme_run_command() + SLICE + [f"output_dir={out}", "run_id=e2e", f"cache_dir={run_cache}",
                                               f"judge.base_url={judge.base_url}", "judge.model=stub-judge"]
        env = {**os.environ, "RAG_VS_FT_JUDGE_API_KEY": SECRET}
        proc = subprocess.run([sys.executable, "-m", "rag_vs_ft.cli", *args], capture_output=True, text=True,
                              cwd=REPO, timeout=2400, env=env)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert judge.chat_requests() and all(r["body"]["model"] == "stub-judge" for r in judge.chat_requests())
    assert "Recommendation: " in proc.stdout  # on 6 questions likely "none": nothing beats the floors significantly
    assert "cached answers" not in proc.stderr  # this run really generated every answer
    return out / "legal" / "e2e", args, run_cache, proc


def test_report_has_all_arms_and_metrics(run_dir):
    path = run_dir[0]
    meta = json.loads((path / "run.json").read_text())
    rows, other_seeds = primary_rows([json.loads(line) for line in (path / "results.jsonl").read_text().splitlines()],
                                     meta["primary_seed"])
    candidates, references = {"prompt", "rag", "finetune", "finetune_rag"}, {"always-refuse", "majority",
                                                                           "extractive", "oracle"}
    assert {r["arm"] for r in rows} == candidates | references
    assert len(rows) == 8 * 6
    assert {a for a, s in meta["arms"].items() if s["role"] == "candidate"} == candidates
    assert len(other_seeds) == 2 * 6 and {r["seed"] for r in other_seeds} == {1}  # seeds [0, 1]
    kinds = {r["kind"] for r in rows}
    assert {"article", "license", "unanswerable"} <= kinds  # the slice spans every kind
    for r in rows:
        for key in ("question", "reference", "answer", "exact_match", "token_f1", "rouge_l", "string_similarity",
                    "semantic_similarity", "refused", "latency_s", "prompt_tokens", "generated_tokens", "retrieved_ids",
                    "answer_score", "correct", "credit", "headline", "fabricated", "fresh",
                    "judge_factual_correctness"):
            assert key in r, key
        uses_model = meta["arms"][r["arm"]]["uses_model"]  # a floor answers in microseconds (0.0 at 0.1 ms)
        assert (r["latency_s"] > 0 or not uses_model) and (r["prompt_tokens"] > 0) == uses_model
        if r["arm"] == "always-refuse":
            assert r["refused"] == 1.0
        if r["arm"] == "oracle" and r["answerable"]:
            assert r["context_recall"] == 1.0  # the gold evidence, by construction
        if meta["arms"][r["arm"]]["uses_retrieval"]:
            assert r["retrieved_ids"]
            if r["answerable"]:
                assert r["context_recall"] is not None
            assert "citation_precision" in r and "judge_faithfulness" in r
        else:
            assert r["retrieved_ids"] == []
    assert any(r["fresh"] for r in rows)  # the slice holds questions about documents added after training

    report = (path / "report.md").read_text()
    head = report.split("\n## ")[0]  # everything above the first section: the recommendation and the machine
    assert "Recommendation: " in head and "profile `default`" in head
    assert "Not judged: finetune, finetune_rag — the fine-tune stopped before one full epoch" in head
    assert "*(floor)*" in report and "*(ceiling)*" in report and "beats every floor (headline)?" in report
    assert "SmolLM2-135M-Instruct" in head and "cores" in head
    summaries = summarize(rows, resamples=500, seed=0)
    for arm, s in summaries.items():  # the report's numbers, with their intervals, are results.jsonl's numbers
        lo, hi = s["ci"]["headline"]
        role = meta["arms"][arm]["role"]
        label = arm if role == "candidate" else f"{arm} *({role})*"
        if role == "candidate" and meta["arms"][arm]["tuned"]:  # 2 steps: far from an epoch
            label += " *(undertrained)*"
        assert f"| {label} | {s['headline']:.3f} [{lo:.3f}, {hi:.3f}] | {s['correct']:.3f} [" in report
        assert f" | {s['answer_score']:.3f} [" in report
    for section in ("## Ranking under the `default` profile", "### Pairwise: is the difference real?",
                    "## Refusal, fabrication and grounding", "## LLM judge", "## Knowledge update (freshness)",
                    "**Seed spread, finetune:**", "## Forgetting (general knowledge)", "## Cost and memory",
                    "### What fine-tuning would need (estimate)", "7B reference",
                    "## Retrieval, chosen on the dev split", "## Where the points are lost", "**Bottleneck:**",
                    "*(ceiling: gold evidence)*", "Closed-book arms", "Within each kind, each candidate minus"):
        assert section in report, section
    assert meta["few_shot"]["selected"] and [r["few_shot"] for r in meta["few_shot"]["grid"]] == [0, 3, 6]
    assert len(meta["few_shot_ids"]) == meta["few_shot"]["chosen"]  # the prompt arm used the chosen count
    grid = meta["retrieval"]["grid"]  # every mode x top_k x chunk size, scored on dev only
    assert meta["retrieval"]["selected"] and len(grid) == 3 * 3 * 2 and meta["retrieval"]["n_dev"] >= 5
    chosen = max(r["recall"] for r in grid)
    assert any(r["mode"] == meta["retrieval"]["mode"] and r["top_k"] == meta["retrieval"]["top_k"]
               and r["recall"] >= chosen - 0.02 for r in grid)
    assert "Judge: `stub-judge`" in report and "No judge configured" not in report
    assert meta["judge"]["samples"] == 8 * 6 and meta["forgetting"]["n"] >= 50
    assert set(meta["forgetting"]["models"]) == {"base", "finetune seed 0", "finetune seed 1", "finetune_rag seed 0",
                                                 "finetune_rag seed 1"}
    assert meta["freshness"]["documents"] and meta["freshness"]["index_update_s"] > 0
    for arm in ("prompt", "rag", "finetune", "finetune_rag"):  # one request at a time: every one of the 6 here
        assert len(meta["answering"][arm]["request_latency_s"]) == 6
        assert all(x > 0 for x in meta["answering"][arm]["request_latency_s"])
    assert "per request p50 / p95 s (n)" in report and "credit on updated documents [95% CI]" in report
    for fig in ("metrics.png", "quality_vs_latency.png", "loss_curve.png"):
        assert (path / fig).stat().st_size > 1000
    html = (path / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 3  # self-contained: figures inline, nothing fetched
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", html)
    assert "<table>" in html and "Recommendation: " in html

    adapters = {(a["recipe"], a["seed"]): a for a in meta["adapters"]}  # each tuned arm has its own adapter
    assert set(adapters) == {("closed_book", 0), ("closed_book", 1), ("raft", 0), ("raft", 1)}
    assert all(a["method"] in ("qlora-nf4", "lora") and a["steps"] == 2 and a["seconds"] > 0 for a in adapters.values())
    assert adapters[("raft", 0)]["key"] != adapters[("closed_book", 0)]["key"]
    assert adapters[("raft", 0)]["training_set"]["sources"].get("RAFT with oracle", 0) > 0
    assert all(0 <= a["coverage"]["covered"] <= a["coverage"]["answerable"] > 0 for a in adapters.values())
    assert "| finetune_rag | 0 |" in report and "**Coverage:**" in report and "× the estimate" in report
    assert meta["corpus"]["documents"] == 451 and len(meta["corpus"]["hash"]) == 16
    assert meta["packages"]["transformers"] != "not installed"
    assert {"model", "index", "index update", "finetune:closed_book@seed0", "finetune:raft@seed1",
            "answer:rag"} <= set(meta["timings_s"])
    assert not list(path.glob(".*.tmp"))  # no half-written files left behind


def test_the_judge_key_is_never_written(run_dir):
    path, _, cache, proc = run_dir
    assert SECRET not in proc.stdout + proc.stderr
    for root in (path, cache / "answers", cache / "adapters"):
        for f in root.rglob("*"):
            if f.is_file():
                assert SECRET.encode() not in f.read_bytes(), f


def test_report_command_rerenders_the_same_report(run_dir):
    path = run_dir[0]
    before = (path / "report.md").read_text()
    (path / "report.md").unlink()
    proc = subprocess.run([sys.executable, "-m", "rag_vs_ft.cli", "report", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert (path / "report.md").read_text() == before


def test_rerun_reuses_everything(run_dir):
    path, args = run_dir[0], run_dir[1]
    args = [a for a in args if not a.startswith("judge.")]  # the stub is gone; without a judge the report says so
    proc = subprocess.run([sys.executable, "-m", "rag_vs_ft.cli", *args], capture_output=True, text=True, cwd=REPO,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stderr.count("reusing 6 cached answers") == 10  # 8 arms + the second seed's 2 tuned arms
    assert "cached answers" in proc.stderr and "general QA (base): reusing" in proc.stderr
    meta = json.loads((path / "run.json").read_text())
    assert all(a["cached"] is True for a in meta["adapters"]) and meta["index"]["cached"] is True
    assert meta["judge"] is None and "No judge configured" in (path / "report.md").read_text()


def test_the_legal_report_has_the_question_explorer(run_dir):
    from browser import open_page, rendered

    path = run_dir[0]
    meta = json.loads((path / "run.json").read_text())
    rows, _ = primary_rows([json.loads(line) for line in (path / "results.jsonl").read_text().splitlines()],
                           meta["primary_seed"])
    rag = {r["question_id"]: r for r in rows if r["arm"] == "rag"}
    assert all(len(r["contexts"]) == len(r["context_ids"]) > 0 for r in rag.values())
    with open_page(path / "report.html") as (page, seen):
        page.wait_for_selector("#explorer-app[data-ready='1']")
        assert int(page.get_attribute("#explorer-count", "data-shown")) == len(rag)
        kind = next(iter(rag.values()))["kind"]
        page.select_option("#ex-kind", kind)
        assert page.locator("#explorer-table tbody tr:not([hidden])").count() == sum(
            r["kind"] == kind for r in rag.values())
        page.locator("#explorer-table tbody tr:not([hidden])").first.click()
        qid = page.get_attribute("#explorer-detail", "data-question")
        marked = page.locator("#explorer-detail .ex-answer[data-arm='rag'] li.evidence").count()
        assert marked == sum(d in rag[qid]["doc_ids"] for d in rag[qid]["context_ids"])
        assert rag[qid]["answer"].split("\n")[0][:40] in page.inner_text("#explorer-detail")
        assert rendered(page.screenshot())
    assert not seen.errors and seen.foreign_requests() == []


def test_compare_two_seeds_of_the_legal_run(run_dir, tmp_path):
    """A second run whose fine-tuned arms answer with the seed-1 adapters (trained and cached by the first run),
    compared with the first on one page."""
    path, args = run_dir[0], run_dir[1]
    args = [a for a in args if not a.startswith(("judge.", "run_id=", "finetune.seeds="))]
    proc = subprocess.run([sys.executable, "-m", "rag_vs_ft.cli", *args, "run_id=e2e-seed1", "finetune.seeds=[1]"],
                          capture_output=True, text=True, cwd=REPO, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    proc = subprocess.run([sys.executable, "-m", "rag_vs_ft.cli", "compare", str(path), str(path.parent / "e2e-seed1"),
                           "--out", str(tmp_path / "cmp")], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "cmp" / "compare.md").read_text()
    assert "same 6 test questions" in md and "Settings that differ: fine-tune seeds." in md
    assert "| legal/e2e | legal/e2e-seed1 |" in md
    for arm in ("prompt", "rag", "finetune", "finetune_rag", "oracle"):
        assert f"| {arm} |" in md
