"""Guarantees on input: the tool writes only inside the folders it owns, and bad input is one line, exit code != 0,
before anything is computed."""

import contextlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, cli
from rag_vs_ft.paths import PathError, inside, plain_name, writable_dir
from test_cli import assert_one_line_error

DOCS = "".join(json.dumps({"id": f"d{i}", "title": f"Doc {i}", "text": f"Item {i} is stored in room {i}."}) + "\n"
               for i in range(6))


def row(i: int) -> dict:
    return {"id": f"q{i}", "question": f"Where is item {i % 6} kept?", "answer": f"Item {i % 6} is in room {i % 6}.",
            "doc_ids": [f"d{i % 6}"], "answerable": True, "kind": "where"}


def corpus(tmp_path: Path, qa_text: str | None = None, yaml_text: str = "name: t\nqa: qa.jsonl\nsources:\n"
           "  - loader: jsonl\n") -> Path:
    d = tmp_path / "corpora" / "t"
    d.mkdir(parents=True)
    (d / "domain.yaml").write_text(yaml_text)
    (d / "documents.jsonl").write_text(DOCS)
    if qa_text is not None:
        (d / "qa.jsonl").write_text(qa_text)
    return tmp_path / "corpora"


def run_args(tmp_path: Path, corpora: Path, *extra: str) -> list[str]:
    return ["run", "domain=t", f"corpora_dir={corpora}", f"output_dir={tmp_path / 'out'}",
            f"cache_dir={tmp_path / 'cache'}", *extra]


@contextlib.contextmanager
def locked(folder: Path):
    """`folder` made one nobody may create files in (root included: chattr +i), or a skip where that cannot be
    made here."""
    made = subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0
    if not made:
        folder.chmod(0o555)
    try:
        try:
            (folder / "probe").touch()
            (folder / "probe").unlink()
            pytest.skip("cannot make a folder unwritable here (no chattr +i, and mode bits do not bind this user)")
        except OSError:
            pass
        yield folder
    finally:
        if made:
            subprocess.run(["chattr", "-i", str(folder)])
        folder.chmod(0o755)


@pytest.fixture
def immutable(tmp_path):
    (tmp_path / "locked").mkdir()
    with locked(tmp_path / "locked") as d:
        yield d


def test_plain_names_and_inside():
    assert plain_name("20261201-run.1", "run_id") == "20261201-run.1"
    for bad in ("../x", "a/b", ".hidden", "..", "", "a\\b"):
        with pytest.raises(PathError):
            plain_name(bad, "run_id")
    base = Path("/srv/corpora/t")
    assert inside(base, "qa.jsonl", "qa") == base / "qa.jsonl"
    for bad in ("../qa.jsonl", "/etc/passwd", "sub/../../x"):
        with pytest.raises(PathError):
            inside(base, bad, "qa")


def test_writable_dir_refuses_files_root_and_locked_folders(tmp_path, immutable):
    (tmp_path / "f").write_text("x")
    with pytest.raises(PathError, match="is a file"):
        writable_dir(tmp_path / "f", "output_dir")
    with pytest.raises(PathError, match="root"):
        writable_dir(Path("/"), "output_dir")
    with pytest.raises(PathError, match="not writable"):
        writable_dir(immutable / "new" / "deeper", "cache_dir")
    assert writable_dir(tmp_path / "new" / "deeper", "cache_dir") == tmp_path / "new" / "deeper"


@pytest.mark.parametrize("override", ["run_id=../../../x", "run_id=a/b", "run_id=.."])
def test_run_id_cannot_leave_the_report_folder(tmp_path, override):
    corpora = corpus(tmp_path, "".join(json.dumps(row(i)) + "\n" for i in range(12)))
    code, _, err = cli(*run_args(tmp_path, corpora, override))
    assert_one_line_error(code, err, "run_id must be a plain name")
    assert not (tmp_path / "out").exists() and not (tmp_path / "x").exists()


def test_unwritable_output_or_cache_dir_fails_before_any_compute(tmp_path, immutable):
    corpora = corpus(tmp_path, "".join(json.dumps(row(i)) + "\n" for i in range(12)))
    code, _, err = cli("run", "domain=t", f"corpora_dir={corpora}", f"output_dir={immutable / 'reports'}",
                       f"cache_dir={tmp_path / 'cache'}")
    assert_one_line_error(code, err, "output_dir", "not writable")
    (tmp_path / "a-file").write_text("")
    code, _, err = cli("run", "domain=t", f"corpora_dir={corpora}", f"output_dir={tmp_path / 'out'}",
                       f"cache_dir={tmp_path / 'a-file'}")
    assert_one_line_error(code, err, "cache_dir", "is a file")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("qa", ["../../outside.jsonl", "/tmp/outside.jsonl", "link.jsonl"])
def test_a_domain_qa_path_must_stay_inside_its_folder(tmp_path, qa):
    outside = tmp_path / "outside.jsonl"
    outside.write_text("".join(json.dumps(row(i)) + "\n" for i in range(12)))
    corpora = corpus(tmp_path, yaml_text=f"name: t\nqa: {qa}\nsources:\n  - loader: jsonl\n")
    if qa == "link.jsonl":
        (corpora / "t" / "link.jsonl").symlink_to(outside)
    code, _, err = cli(*run_args(tmp_path, corpora))
    assert_one_line_error(code, err, "qa:")
    before = outside.read_text()
    code, _, err = cli("domain", "synth", "t", "--corpora-dir", str(corpora))
    assert_one_line_error(code, err, "qa:")
    assert outside.read_text() == before  # synth wrote nothing through it


def test_synth_into_a_folder_it_cannot_write_fails_before_generating(tmp_path):
    corpora = corpus(tmp_path)
    with locked(corpora / "t"):
        code, out, err = cli("domain", "synth", "t", "--corpora-dir", str(corpora))
    assert_one_line_error(code, err, "not writable")
    assert "wrote" not in out


def test_three_malformed_rows_in_ten_thousand_are_named_in_one_line(tmp_path):
    lines = [json.dumps({**row(i), "id": f"q{i}"}) for i in range(10_000)]
    lines[41] = "{not json"
    lines[4999] = json.dumps({"id": "x", "question": "Q?"})
    lines[9998] = json.dumps({**row(1), "id": "q9998", "doc_ids": ["missing-doc"]})
    corpora = corpus(tmp_path, "\n".join(lines) + "\n")
    code, _, err = cli(*run_args(tmp_path, corpora))
    qa = corpora / "t" / "qa.jsonl"
    assert_one_line_error(code, err, "3 malformed rows", f"{qa}:42", f"{qa}:5000", f"{qa}:9999",
                          "not valid JSON", "missing key", "unknown document")


def test_an_empty_question_file_is_one_line(tmp_path):
    corpora = corpus(tmp_path, "")
    code, _, err = cli(*run_args(tmp_path, corpora))
    assert_one_line_error(code, err, "no questions")


@pytest.mark.parametrize("yaml_text, fragments", [
    ("name: t\nsources:\n  - loader: scrolls\n", ["unknown loader 'scrolls'", "jsonl"]),
    ("name: t\nsources:\n  - loader: choosealicense\n", ["lacks 'package'"]),
    ("name: t\nsources:\n  - loader: files\n    root: .\n    files:\n      - path: documents.jsonl\n",
     ["source 1 (files)", "missing or bad field"]),
    ("name: t\nsources:\n  - jsonl\n", ["source 1 must be a mapping"]),
    ("name: t\n", ["non-empty 'sources'"]),
])
def test_a_bad_domain_file_is_one_line(tmp_path, yaml_text, fragments):
    corpora = corpus(tmp_path, json.dumps(row(0)) + "\n", yaml_text=yaml_text)
    code, _, err = cli(*run_args(tmp_path, corpora))
    assert_one_line_error(code, err, *fragments)


def test_a_one_gigabyte_document_is_refused_without_reading_it(tmp_path):
    corpora = corpus(tmp_path, json.dumps(row(0)) + "\n")
    with open(corpora / "t" / "documents.jsonl", "wb") as f:  # sparse: 1 GiB on no disk
        f.truncate(1 << 30)
    # a fresh parent, so the peak resident memory it reports is this one command's
    probe = ("import resource, subprocess, sys; p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
             "print(p.returncode); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
             "sys.stderr.write(p.stderr)")
    proc = subprocess.run([sys.executable, "-c", probe, sys.executable, "-m", "rag_vs_ft.cli",
                           *run_args(tmp_path, corpora)], capture_output=True, text=True, cwd=REPO, timeout=300)
    code, peak_kb = (int(x) for x in proc.stdout.split()[:2])
    assert_one_line_error(code, proc.stderr, "documents.jsonl:1", "over the 20 MB limit")
    assert peak_kb < 900 * 1024, f"peak {peak_kb / 1024:.0f} MB: the document was read into memory"


def test_init_into_a_folder_it_cannot_write_fails_before_reading(tmp_path, immutable):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# A\n\n" + "Some words about the topic at hand. " * 20)
    code, _, err = cli("domain", "init", "t", "--from", str(docs), "--corpora-dir", str(immutable))
    assert_one_line_error(code, err, "the domain folder", "not writable")
