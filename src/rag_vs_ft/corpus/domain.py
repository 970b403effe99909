"""Load a domain folder (`corpora/NAME/domain.yaml` + `qa.jsonl`) into validated documents and questions."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from rag_vs_ft.corpus.loaders import LOADERS
from rag_vs_ft.corpus.packages import SourceError
from rag_vs_ft.corpus.schema import Document, Domain, QAItem
from rag_vs_ft.paths import PathError, inside
from rag_vs_ft.store import LineTooLong, bounded_lines

QA_KEYS = ("id", "question", "answer", "doc_ids", "answerable", "kind")
_REPO_CORPORA = Path(__file__).resolve().parents[3] / "corpora"


class DomainError(ValueError):
    """The domain cannot be loaded; the message is one line naming the file and what is wrong."""


def resolve_corpora_dir(corpora_dir: Path) -> Path:
    """A relative corpora dir that is not here falls back to the one in the source checkout."""
    if corpora_dir.exists() or corpora_dir.is_absolute():
        return corpora_dir
    return _REPO_CORPORA if _REPO_CORPORA.exists() else corpora_dir


def list_domains(corpora_dir: Path) -> list[str]:
    root = resolve_corpora_dir(corpora_dir)
    return sorted(p.parent.name for p in root.glob("*/domain.yaml"))


def domain_dir(name: str, corpora_dir: Path) -> Path:
    if "/" in name or "\\" in name or name.startswith(".") or not name:
        raise DomainError(f"domain must be a plain name, not a path: {name!r}")
    root = resolve_corpora_dir(corpora_dir)
    path = root / name
    if not (path / "domain.yaml").exists():
        known = ", ".join(list_domains(corpora_dir)) or "none"
        raise DomainError(f"unknown domain {name!r}; known domains: {known}")
    return path


def read_spec(path: Path) -> dict:
    try:
        spec = yaml.safe_load((path / "domain.yaml").read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise DomainError(f"{path / 'domain.yaml'}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(spec.get("sources"), list) or not spec["sources"]:
        raise DomainError(f"{path / 'domain.yaml'}: needs a non-empty 'sources' list")
    return spec


def load_documents(spec: dict, path: Path, cache_dir: Path) -> tuple[list[Document], list[dict]]:
    docs: list[Document] = []
    provenance = []
    for i, entry in enumerate(spec["sources"], 1):
        if not isinstance(entry, dict):
            raise DomainError(f"{path / 'domain.yaml'}: source {i} must be a mapping with a 'loader' key")
        loader = LOADERS.get(entry.get("loader", ""))
        if loader is None:
            raise DomainError(f"{path / 'domain.yaml'}: unknown loader {entry.get('loader')!r}; known: {', '.join(LOADERS)}")
        try:
            got, prov = loader(entry, cache_dir, path)
        except SourceError as exc:
            raise DomainError(str(exc)) from None
        except (KeyError, TypeError, AttributeError) as exc:  # a field the loader needs is missing or mistyped
            raise DomainError(f"{path / 'domain.yaml'}: source {i} ({entry['loader']}) has a missing or bad field "
                              f"({type(exc).__name__}: {exc})") from None
        docs += [d for d in got if d.text.strip()]
        provenance.append({"loader": entry["loader"], **prov})
    seen: set[str] = set()
    for d in docs:
        if d.id in seen:
            raise DomainError(f"{path.name}: two documents share the id {d.id!r}")
        seen.add(d.id)
    if not docs:
        raise DomainError(f"domain {path.name!r} has no documents: its sources yielded nothing")
    return docs, provenance


def qa_item(row, where: str, doc_ids: set[str]) -> QAItem:
    """One qa.jsonl row, checked; a problem raises DomainError naming `where` (file:line)."""
    if not isinstance(row, dict):
        raise DomainError(f"{where}: a row must be a JSON object")
    missing = [k for k in QA_KEYS if k not in row]
    if missing:
        raise DomainError(f"{where}: missing key(s) {missing}")
    if not isinstance(row["doc_ids"], list) or not isinstance(row["answerable"], bool):
        raise DomainError(f"{where}: doc_ids must be a list and answerable a boolean")
    if not str(row["question"]).strip():
        raise DomainError(f"{where}: empty question")
    unknown = [d for d in row["doc_ids"] if d not in doc_ids]
    if unknown:
        raise DomainError(f"{where}: cites unknown document(s) {unknown}")
    if row["answerable"] and not row["doc_ids"]:
        raise DomainError(f"{where}: an answerable question must cite at least one document")
    return QAItem(id=str(row["id"]), question=str(row["question"]), answer=str(row["answer"]),
                  doc_ids=tuple(row["doc_ids"]), answerable=row["answerable"], kind=str(row["kind"]),
                  origin=str(row.get("origin", "hand-written")))


MAX_REPORTED = 10  # malformed rows named in the one-line error; the rest are counted


def parse_qa(qa_path: Path, doc_ids: set[str]) -> list[QAItem]:
    """Read qa.jsonl strictly. Every malformed row is found in one pass and reported as file:line in one line,
    so a 10,000-row file with three bad rows needs one fix, not three runs."""
    if not qa_path.exists():
        raise DomainError(f"{qa_path}: no question file")
    items, seen, problems = [], set(), []
    try:
        for n, line in bounded_lines(qa_path):
            if not line.strip():
                continue
            where = f"{qa_path}:{n}"
            try:
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DomainError(f"{where}: not valid JSON ({exc.msg})") from None
                item = qa_item(row, where, doc_ids)
                if item.id in seen:
                    raise DomainError(f"{where}: duplicate question id {item.id!r}")
            except DomainError as exc:
                problems.append(str(exc))
                continue
            seen.add(item.id)
            items.append(item)
    except LineTooLong as exc:
        problems.append(f"{qa_path}:{exc.line}: {exc}")
    if problems:
        shown = "; ".join(problems[:MAX_REPORTED])
        more = f"; and {len(problems) - MAX_REPORTED} more" if len(problems) > MAX_REPORTED else ""
        raise DomainError(shown + more if len(problems) == 1 else f"{len(problems)} malformed rows: {shown}{more}")
    if not items:
        raise DomainError(f"{qa_path}: no questions")
    return items


def qa_file(spec: dict, path: Path) -> Path:
    """The question file a domain file names (`qa:`), which must stay inside the domain folder."""
    try:
        return inside(path, spec.get("qa", "qa.jsonl"), f"{path / 'domain.yaml'}: qa:")
    except PathError as exc:
        raise DomainError(str(exc)) from None
