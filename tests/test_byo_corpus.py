"""Bring your own corpus, end to end through the CLI: a folder of mixed files -> `domain init` -> `domain validate`
-> `domain synth` -> `run`, offline, with the embedded model (the README's "Bring your own corpus" path)."""

import json

import pytest
from tiny_docs import make_pdf

from conftest import cli

FAQ = {
    "How do I reset the Lumo hub?": "Hold the pairing button for ten seconds until the ring light blinks amber.",
    "How do I update the Lumo firmware?": "Open the companion app, choose Settings, then press Install update.",
    "Why does the Lumo hub lose its Wi-Fi connection?": "The hub drops the link when the router changes channel "
                                                         "during a scan; fixing the router channel stops it.",
    "Can the Lumo hub run without the cloud?": "Yes. Local mode keeps every automation running on the hub itself.",
    "How many sensors can one Lumo hub manage?": "One hub manages up to sixty four sensors across four rooms.",
    "What batteries do Lumo motion sensors use?": "Each motion sensor takes two AAA lithium batteries.",
    "How do I share access with another person?": "Invite them from the Members page and pick the guest role.",
    "Why is the ring light flashing red?": "A flashing red ring light means the hub has lost power backup.",
    "How do I move the hub to a new home?": "Remove it from the old home in the app before you unplug it.",
    "What does the amber ring light mean?": "An amber ring light means the hub is waiting to be paired.",
    "How do I export my automation history?": "Use the Export button on the History page to save a CSV file.",
    "Can I rename a room after setup?": "Yes. Long press the room card and choose Rename.",
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    src = tmp_path_factory.mktemp("lumo-docs")
    items = list(FAQ.items())
    (src / "faq.md").write_text("# Lumo hub FAQ\n\n" + "".join(f"## {q}\n\n{a}\n\n" for q, a in items[:6]))
    (src / "more-faq.txt").write_text("Lumo troubleshooting\n\n" + "".join(f"{q}\n{a}\n\n" for q, a in items[6:9]))
    html = "".join(f"<h2>{q}</h2><p>{a}</p>" for q, a in items[9:])
    (src / "help.html").write_text(f"<html><head><title>Lumo help</title></head><body>{html}</body></html>")
    (src / "spec.pdf").write_bytes(make_pdf("The Lumo hub draws four watts and stores ninety days of history " * 3,
                                            title="Lumo specification"))
    (src / "broken.pdf").write_bytes(b"%PDF-1.4 this is not a pdf")
    return src


def test_folder_to_report(folder, tmp_path, cache_dir):
    corpora = tmp_path / "corpora"
    code, out, err = cli("domain", "init", "lumo", "--from", str(folder), "--corpora-dir", str(corpora),
                         "--min-chars", "50")
    assert code == 0, err
    assert "broken.pdf" in out and "corrupt PDF" in out  # listed with its reason, the good files still used
    assert not (corpora / "lumo" / "qa.jsonl").exists()

    code, _, err = cli("domain", "validate", "lumo", f"corpora_dir={corpora}")
    assert code == 1 and "no question file" in err and "domain synth lumo" in err

    code, out, err = cli("domain", "synth", "lumo", "--corpora-dir", str(corpora), "min_unanswerable=3")
    assert code == 0, err
    assert "extractive generator" in out and "cost:" in out
    rows = [json.loads(line) for line in (corpora / "lumo" / "qa.jsonl").read_text().splitlines()]
    faq_rows = [r for r in rows if r["kind"] == "synthetic-faq"]
    assert len(faq_rows) >= 10 and sum(not r["answerable"] for r in rows) >= 3
    assert all(r["origin"] == "synthetic" and r["provenance"]["generator"] for r in rows)
    assert {r["question"] for r in faq_rows} <= set(FAQ)  # questions are the documents' own, answers grounded

    code, out, err = cli("domain", "validate", "lumo", f"corpora_dir={corpora}")
    assert code == 0, out + err
    assert "synthetic" in out and "ok" in out

    run_cache = tmp_path / "cache"  # fresh answers/adapters; the converted model is shared (slow to rebuild)
    run_cache.mkdir()
    (cache_dir / "models").mkdir(parents=True, exist_ok=True)
    (run_cache / "models").symlink_to(cache_dir / "models")
    code, out, err = cli("run", "domain=lumo", f"corpora_dir={corpora}", f"output_dir={tmp_path / 'reports'}",
                         f"cache_dir={run_cache}", "run_id=byo", "eval.limit=4", "finetune.max_steps=1",
                         "finetune.seeds=[0]", "eval.forgetting=false", "model.max_new_tokens=16",
                         "eval.bootstrap_resamples=200", "split.test=0.3", "split.train=0.6",
                         "freshness.share=0")
    assert code == 0, err[-3000:]
    report = (tmp_path / "reports" / "lumo" / "byo" / "report.md").read_text()
    assert "**Recommendation: " in report
    results = [json.loads(line) for line in (tmp_path / "reports" / "lumo" / "byo" / "results.jsonl").open()]
    assert {r["arm"] for r in results} == {"prompt", "rag", "finetune", "finetune_rag", "always-refuse", "majority",
                                           "extractive", "oracle"}
    assert {r["origin"] for r in results} == {"synthetic"}
    assert "Questions by origin" in report and "synthetic (n=4)" in report
    assert "Off (`freshness.share=0`)" in report  # no knowledge-update slice: the report says so
