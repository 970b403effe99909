"""store: content hashes, bounded line reading, crash-safe writes and JSONL parsing, on tiny files."""

import json
import os

import pytest

from rag_vs_ft.store import (LineTooLong, atomic_dir, atomic_write_json, atomic_write_text, bounded_lines,
                             file_sha256, jsonl_lines, read_jsonl, stable_hash)


def test_stable_hash_ignores_dict_order_but_not_content():
    a = stable_hash({"x": 1, "y": [1, 2]})
    assert a == stable_hash({"y": [1, 2], "x": 1})
    assert a != stable_hash({"x": 1, "y": [2, 1]}) and a != stable_hash({"x": 2, "y": [1, 2]})
    assert len(a) == 16 and len(stable_hash("x", length=8)) == 8 and int(a, 16) >= 0


def test_file_sha256_is_the_sha256_of_the_bytes(tmp_path):
    import hashlib

    p = tmp_path / "f.bin"
    data = os.urandom(3 * (1 << 20) + 5)  # over the 1 MiB read block: the blocks must add up
    p.write_bytes(data)
    assert file_sha256(p) == hashlib.sha256(data).hexdigest()


def test_bounded_lines_numbers_lines_and_refuses_an_overlong_one(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_bytes(b"one\n\ntw\xc3\xa9\nlast")
    assert list(bounded_lines(p)) == [(1, "one\n"), (2, "\n"), (3, "twé\n"), (4, "last")]
    p.write_bytes(b"short\n" + b"x" * 11 + b"\nnever reached\n")
    lines = bounded_lines(p, limit=10)
    assert next(lines) == (1, "short\n")
    with pytest.raises(LineTooLong) as exc:
        next(lines)
    assert exc.value.line == 2
    p.write_bytes(b"x" * 10 + b"\n")  # exactly the limit, then its newline: accepted
    assert list(bounded_lines(p, limit=10)) == [(1, "x" * 10 + "\n")]


def test_atomic_write_replaces_whole_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "sub" / "out.json"
    atomic_write_json(target, {"b": 1, "a": "é"})
    assert json.loads(target.read_text(encoding="utf-8")) == {"b": 1, "a": "é"}
    atomic_write_text(target, "new")
    assert target.read_text() == "new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.json"]


def test_a_failed_atomic_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "out.txt"
    target.write_text("old")

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(target, "new")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_atomic_dir_appears_only_when_complete(tmp_path):
    final = tmp_path / "index"
    with atomic_dir(final) as tmp:
        (tmp / "part").write_text("1")
        assert not final.exists()
    assert (final / "part").read_text() == "1"
    with pytest.raises(RuntimeError):
        with atomic_dir(final) as tmp:
            (tmp / "other").write_text("2")
            raise RuntimeError("crash mid-build")
    assert [p.name for p in final.iterdir()] == ["part"]  # the complete old one stays
    assert [p.name for p in tmp_path.iterdir()] == ["index"]  # no temporary directory left
    with atomic_dir(final) as tmp:
        (tmp / "new").write_text("3")
    assert [p.name for p in final.iterdir()] == ["new"]  # a rebuild replaces, never merges


def test_read_jsonl_and_jsonl_lines(tmp_path):
    assert read_jsonl(tmp_path / "missing.jsonl") == []
    p = tmp_path / "r.jsonl"
    p.write_text('{"a": 1}\n\n  \n[2]\n')
    assert read_jsonl(p) == [{"a": 1}, [2]]
    assert jsonl_lines('{"a": 1}\n\n"s"\n') == [(1, {"a": 1}), (3, "s")]
    with pytest.raises(ValueError, match=r"^line 2: not valid JSON"):
        jsonl_lines('{"a": 1}\n{"a": \n')
