"""Bad input gets a one-line error and a non-zero exit code, before anything is written."""

import json
import re

import pytest

from conftest import cli


def assert_one_line_error(code, err, *fragments):
    assert code == 2, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    error_lines = [line for line in lines if line.startswith("error:")]
    assert len(error_lines) == 1, err
    for f in fragments:
        assert f in error_lines[0]


def _corpus(tmp_path, docs: str, qa: str):
    d = tmp_path / "corpora" / "tiny"
    d.mkdir(parents=True)
    (d / "domain.yaml").write_text("name: tiny\nsources:\n  - loader: jsonl\n")
    (d / "documents.jsonl").write_text(docs)
    (d / "qa.jsonl").write_text(qa)
    return tmp_path / "corpora"


DOC = '{"id": "d1", "title": "T", "text": "text"}\n'
ROW = '{"id": "q1", "question": "Q?", "answer": "A", "doc_ids": ["%s"], "answerable": true, "kind": "x"}\n'


@pytest.mark.parametrize("args, fragments", [
    (["run", "domain=nope"], ["unknown domain 'nope'", "legal"]),
    (["run", "domain=../legal"], ["domain must be a plain name"]),
    (["run", "retrieval.topk=3"], ["unknown config key 'retrieval.topk'", "retrieval.top_k"]),
    (["run", "finetune.epochs=-1"], ["finetune.epochs"]),
    (["report", "/nonexistent/run"], ["not a run directory"]),
])
def test_bad_input_is_one_line(args, fragments, tmp_path):
    extra = [f"output_dir={tmp_path}"] if args[0] == "run" else []
    code, _, err = cli(*args, *extra)
    assert_one_line_error(code, err, *fragments)
    assert not any(tmp_path.rglob("report.md"))


def test_malformed_qa_names_file_and_line(tmp_path):
    corpora = _corpus(tmp_path, DOC, ROW % "d1" + '{"id": "q2", "question": \n')
    code, _, err = cli("run", "domain=tiny", f"corpora_dir={corpora}", f"output_dir={tmp_path / 'out'}")
    assert_one_line_error(code, err, "qa.jsonl:2", "not valid JSON")
    assert not (tmp_path / "out").exists()  # nothing written for a run that cannot start


def test_qa_citing_missing_document(tmp_path):
    corpora = _corpus(tmp_path, DOC, ROW % "d9")
    code, _, err = cli("run", "domain=tiny", f"corpora_dir={corpora}", f"output_dir={tmp_path / 'out'}")
    assert_one_line_error(code, err, "qa.jsonl:1", "unknown document", "d9")


def test_empty_corpus(tmp_path):
    corpora = _corpus(tmp_path, "", ROW % "d1")
    code, _, err = cli("run", "domain=tiny", f"corpora_dir={corpora}", f"output_dir={tmp_path / 'out'}")
    assert_one_line_error(code, err, "no documents")


def test_domains_lists_legal_with_counts():
    code, out, err = cli("domains")
    assert code == 0, err
    assert "legal" in out and "451" in out


def test_keys_and_help():
    code, out, _ = cli("keys")
    assert code == 0 and "retrieval.top_k = 3" in out and "finetune.packing = True" in out
    for sub in ("run", "domains", "report", "keys", "profiles"):
        code, out, _ = cli(sub, "--help")
        assert code == 0 and "Usage" in out


def test_profiles_lists_the_shipped_profiles():
    code, out, err = cli("profiles")
    assert code == 0, err
    assert all(name in out for name in ("default", "accuracy-first", "low-latency", "frequently-updated-corpus"))


def test_unknown_profile_fails_before_any_compute():
    code, _, err = cli("run", "eval.profile=nope")
    assert_one_line_error(code, err, "unknown profile 'nope'")


def test_domain_init_on_an_empty_folder_is_a_one_line_error(tmp_path):
    (tmp_path / "empty").mkdir()
    code, _, err = cli("domain", "init", "x", "--from", str(tmp_path / "empty"), "--corpora-dir", str(tmp_path))
    assert_one_line_error(code, err, "empty folder")


def test_domain_init_on_only_unreadable_files_is_a_one_line_error(tmp_path):
    src = tmp_path / "junk"
    src.mkdir()
    (src / "a.pdf").write_bytes(b"%PDF-1.4 not really")
    (src / "b.png").write_bytes(b"\x89PNG\r\n")
    code, _, err = cli("domain", "init", "x", "--from", str(src), "--corpora-dir", str(tmp_path / "c"))
    assert_one_line_error(code, err, "0 of 2 files could be read")


def test_validate_reports_a_qa_file_citing_missing_documents(tmp_path):
    src = tmp_path / "docs"
    src.mkdir()
    (src / "a.txt").write_text("A small document about adapters. " * 20)
    assert cli("domain", "init", "x", "--from", str(src), "--corpora-dir", str(tmp_path / "c"))[0] == 0
    (tmp_path / "c" / "x" / "qa.jsonl").write_text(json.dumps(
        {"id": "q1", "question": "What is it about?", "answer": "adapters", "doc_ids": ["nope"],
         "answerable": True, "kind": "k"}) + "\n")
    code, _, err = cli("domain", "validate", "x", f"corpora_dir={tmp_path / 'c'}")
    assert code == 1 and "cites unknown document(s) ['nope']" in err and "Traceback" not in err


def test_validate_and_run_refuse_a_leaking_test_question_with_the_same_message(tmp_path):
    """The bug a user met: validate said ok, run refused. Now both name the row and the fix, in one line."""
    src = tmp_path / "docs"
    src.mkdir()
    (src / "a.txt").write_text("The hold flag keeps a package at its version during upgrades. " * 10)
    assert cli("domain", "init", "x", "--from", str(src), "--corpora-dir", str(tmp_path / "c"))[0] == 0
    rows = [{"id": f"q{i}", "question": f"What does flag number {i} mean in the package status?",
             "answer": f"Flag {i} keeps a package at its version.", "doc_ids": ["a-txt"], "answerable": True,
             "kind": "k"} for i in range(20)]
    # the tail of every long question is a question of its own: wherever it lands, the long ones are in train
    rows += [{"id": f"tail{i}", "question": tail, "answer": "A state of a package.", "doc_ids": ["a-txt"],
              "answerable": True, "kind": "tails"}
             for i, tail in enumerate(("mean in the package status?", "in the package status?", "the package status?",
                                       "package status?", "status?"))]
    (tmp_path / "c" / "x" / "qa.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    code, _, verr = cli("domain", "validate", "x", f"corpora_dir={tmp_path / 'c'}")
    assert code == 1 and "appear in training data or examples" in verr and "domain synth x --replace" in verr
    code, _, rerr = cli("run", "domain=x", f"corpora_dir={tmp_path / 'c'}", f"output_dir={tmp_path / 'r'}",
                        f"cache_dir={tmp_path / 'cache'}")
    assert_one_line_error(code, rerr, "appear in training data or examples")
    leak = re.search(r"error: (\d+ test question\(s\) appear[^.]*)", verr).group(1)
    assert leak in " ".join(rerr.split())  # the same rows named by both
    assert not (tmp_path / "r").exists()  # refused before anything was written
