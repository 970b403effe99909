"""Create a domain from the user's own files without copying them (`rag-vs-ft domain init NAME --from PATH`).

The domain file records where each document lives (absolute root + relative path) and the file's sha256,
so the corpus stays where the user keeps it, is read at run time, and a silent edit is caught rather than
measured. Real folders are messy: every file or row that is not used (unreadable, near-empty, duplicate)
is listed with its reason, good documents beside bad ones are still used, and only a source that yields
nothing at all is an error.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from rag_vs_ft.corpus.extract import ExtractError, extract
from rag_vs_ft.corpus.schema import Document
from rag_vs_ft.paths import PathError, writable_dir
from rag_vs_ft.store import atomic_write_text, file_sha256

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_MAGIC = re.compile(r"[*?[]")


class IngestError(ValueError):
    """The domain cannot be created; the message is one line saying why."""


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "doc"


@dataclass
class Scan:
    """What a set of files yields: documents with stable ids, and every file or row left out, with why."""

    root: Path
    documents: list[Document] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)  # [{path, sha256, documents: [{id, key, title}]}]
    duplicates: list[dict] = field(default_factory=list)  # {path, duplicate_of, duplicate_of_path}
    near_empty: list[dict] = field(default_factory=list)  # {path, characters}
    unreadable: list[dict] = field(default_factory=list)  # {path, reason}

    def skipped(self, min_chars: int) -> list[dict]:
        return ([{"path": u["path"], "reason": f"unreadable: {u['reason']}"} for u in self.unreadable]
                + [{"path": e["path"], "reason": f"near-empty: {e['characters']} characters (minimum {min_chars})"}
                   for e in self.near_empty]
                + [{"path": d["path"], "reason": f"duplicate of {d['duplicate_of_path']}"} for d in self.duplicates])


def scan(root: Path, files: list[Path], min_chars: int = 200) -> Scan:
    """Extract `files` (sorted, under `root`) into documents; ids are slugs of the relative path (+ row key)."""
    out, seen_ids, seen_text = Scan(root), set(), {}
    for path in files:
        rel = path.relative_to(root).as_posix()
        try:
            items = extract(path)
        except ExtractError as exc:
            out.unreadable.append({"path": rel, "reason": str(exc)})
            continue
        listed = []
        for item in items:
            where = f"{rel}#{item.key}" if item.key else rel
            if len(item.text) < min_chars:
                out.near_empty.append({"path": where, "characters": len(item.text)})
                continue
            norm = " ".join(item.text.split()).casefold()
            if norm in seen_text:
                out.duplicates.append({"path": where, "duplicate_of_path": seen_text[norm][1],
                                       "duplicate_of": seen_text[norm][0]})
                continue
            base = slug(rel) + (f"-{slug(item.key)}" if item.key else "")
            doc_id, n = base, 1
            while doc_id in seen_ids:  # "a/b.md" and "a-b.md" slug alike
                n += 1
                doc_id = f"{base}-{n}"
            seen_ids.add(doc_id)
            seen_text[norm] = (doc_id, where)
            listed.append({"id": doc_id, **({"key": item.key} if item.key else {}), "title": item.title})
            out.documents.append(Document(id=doc_id, title=item.title, text=item.text, source=f"{root}/{where}"))
        if listed:
            out.files.append({"path": rel, "sha256": file_sha256(path), "documents": listed})
    return out


def find_files(source: str) -> tuple[Path, list[Path], int]:
    """Root, files (sorted) and how many hidden files were ignored, for a folder, a glob or one file."""
    given = Path(os.path.expanduser(source))
    if given.is_file():
        path = Path(os.path.abspath(given))
        return path.parent, [path], 0
    if given.is_dir():
        root, files, hidden = Path(os.path.abspath(given)), [], 0
        for here, dirs, names in os.walk(root):  # does not follow symlinked folders: no loops
            hidden += sum(1 for d in dirs if d.startswith(".")) + sum(1 for n in names if n.startswith("."))
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))  # .git, .venv, editor state
            files += [Path(here) / n for n in names if not n.startswith(".")]
        if not files:
            raise IngestError(f"{root} is an empty folder" + (f" ({hidden} hidden entries ignored)" if hidden else ""))
        return root, sorted(files), hidden
    if not _MAGIC.search(source):
        raise IngestError(f"{source} does not exist")
    parts = given.parts
    fixed = next(i for i, p in enumerate(parts) if _MAGIC.search(p))
    root = Path(os.path.abspath(Path(*parts[:fixed]) if fixed else Path(".")))
    if not root.is_dir():
        raise IngestError(f"{root} does not exist (from the pattern {source})")
    files = sorted(Path(os.path.abspath(p)) for p in glob.glob(str(given), recursive=True) if Path(p).is_file())
    if not files:
        raise IngestError(f"no files match {source}")
    return root, files, 0


@dataclass
class InitReport:
    """What `init_domain` did, for the CLI to print: what was used, and everything left out and why."""

    name: str
    path: Path  # the domain folder
    root: Path
    files_found: int
    files_used: int
    documents: list[dict]  # {id, path, title, characters}
    duplicates: list[dict]
    near_empty: list[dict]
    unreadable: list[dict]
    hidden_ignored: int
    characters: int


def init_domain(name: str, source: str, corpora_dir: Path, *, description: str = "", min_chars: int = 200,
                overwrite: bool = False) -> InitReport:
    """Write `corpora_dir/NAME/domain.yaml` pointing at the documents under `source`; qa.jsonl is not written."""
    if not NAME.match(name):
        raise IngestError(f"bad domain name {name!r}: use letters, digits, '-' or '_' (at most 64)")
    target = Path(corpora_dir) / name
    if (target / "domain.yaml").exists() and not overwrite:
        raise IngestError(f"domain {name!r} already exists ({target}); use --overwrite to replace its domain.yaml")
    try:
        writable_dir(target, "the domain folder")  # before reading every document, not after
    except PathError as exc:
        raise IngestError(str(exc)) from None
    root, files, hidden = find_files(source)
    found = scan(root, files, min_chars)
    if len(found.unreadable) == len(files):
        reasons = "; ".join(f"{u['path']}: {u['reason']}" for u in found.unreadable[:3])
        more = f" (and {len(files) - 3} more)" if len(files) > 3 else ""
        raise IngestError(f"0 of {len(files)} files could be read: {reasons}{more}")
    if not found.documents:
        raise IngestError(f"no usable documents under {root}: {len(found.near_empty)} near-empty (under {min_chars}"
                          f" characters), {len(found.duplicates)} duplicates, {len(found.unreadable)} unreadable")
    characters = sum(len(d.text) for d in found.documents)
    entry = {"loader": "files", "from": source, "root": str(root), "min_chars": min_chars,
             "files": found.files, "skipped": found.skipped(min_chars)}
    spec = {"name": name,
            "description": description or f"{len(found.documents)} documents from {root}",
            "qa": "qa.jsonl", "sources": [entry]}
    stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    header = (f"# Generated by `rag-vs-ft domain init` on {stamp}.\n"
              "# The documents are not copied here: they are read from `root` at run time and checked against\n"
              "# the sha256 of each file. After editing them, re-run the command with --overwrite.\n")
    atomic_write_text(target / "domain.yaml", header + yaml.safe_dump(spec, sort_keys=False, allow_unicode=True,
                                                                      width=110))
    by_id = {d.id: d for d in found.documents}
    docs = [{"id": d["id"], "path": f["path"] + (f"#{d['key']}" if d.get("key") else ""), "title": d["title"],
             "characters": len(by_id[d["id"]].text)} for f in found.files for d in f["documents"]]
    return InitReport(name=name, path=target, root=root, files_found=len(files), files_used=len(found.files),
                      documents=docs, duplicates=found.duplicates, near_empty=found.near_empty,
                      unreadable=found.unreadable, hidden_ignored=hidden, characters=characters)
