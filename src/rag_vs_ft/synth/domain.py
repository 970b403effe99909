"""A domain with its questions: the documents (corpus.domain) and the question file the domain names, or — for a
domain whose file says `qa_synth:` and ships no questions — the set the extractive generator builds from its
documents. It sits in the synth layer because it may synthesize; the corpus layer below only reads."""

from __future__ import annotations

from pathlib import Path

from rag_vs_ft.corpus.domain import DomainError, domain_dir, load_documents, parse_qa, qa_file, read_spec
from rag_vs_ft.corpus.schema import Document, Domain
from rag_vs_ft.store import stable_hash


def synthesized_qa(docs: list[Document], settings: dict, cache_dir: Path) -> Path:
    """Questions a domain file asks to generate at load time (`qa_synth:`), for corpora whose text may not be
    committed: built once per (documents, settings) into the cache, deterministic with the extractive generator."""
    import rag_vs_ft.synth as synth_pkg
    from rag_vs_ft.synth import SynthError, SynthSettings, synthesize, write_qa

    code = [p.read_text(encoding="utf-8") for p in sorted(Path(synth_pkg.__file__).parent.glob("*.py"))]
    key = stable_hash({"docs": [(d.id, stable_hash(d.text)) for d in docs], "settings": settings,
                       "generator_code": stable_hash(code)})  # a fixed generator must not reuse old questions
    target = cache_dir / "qa" / f"{key}.jsonl"
    if not target.exists():
        from pydantic import ValidationError

        try:
            result = synthesize(docs, SynthSettings(**{"cache_dir": cache_dir, **settings}))
        except ValidationError as exc:
            err = exc.errors()[0]
            raise DomainError(f"qa_synth.{'.'.join(map(str, err['loc']))}: {err['msg']}") from None
        except (SynthError, ValueError) as exc:
            raise DomainError(f"qa_synth: {str(exc).splitlines()[0]}") from None
        target.parent.mkdir(parents=True, exist_ok=True)
        write_qa(target, result.rows)
    return target


def question_file(spec: dict, path: Path, docs: list[Document], cache_dir: Path) -> Path:
    """The domain's qa.jsonl, or — when it has none and its file says `qa_synth:` — the generated one."""
    qa_path = qa_file(spec, path)
    if not qa_path.exists() and isinstance(spec.get("qa_synth"), dict):
        return synthesized_qa(docs, spec["qa_synth"], cache_dir)
    return qa_path


def load_domain(name: str, corpora_dir: Path, cache_dir: Path) -> Domain:
    path = domain_dir(name, corpora_dir)
    spec = read_spec(path)
    docs, provenance = load_documents(spec, path, cache_dir)
    questions = parse_qa(question_file(spec, path, docs, cache_dir), {d.id for d in docs})
    return Domain(name=name, description=str(spec.get("description", "")), documents=docs,
                  questions=questions, provenance=provenance)
