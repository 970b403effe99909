"""`rag-vs-ft domain ...`: plug in a corpus — init from a folder, validate it, synthesize questions for it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from rag_vs_ft.synth import SynthSettings

domain_app = typer.Typer(no_args_is_help=True, help="Create, check and add questions to a domain (corpora/NAME/).")
err = Console(stderr=True)
out = Console()


def fail(message: str, code: int = 2) -> None:
    """Print a one-line error and exit with `code` (2: bad input); the one way both command modules fail."""
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@domain_app.command("init")
def init(name: str = typer.Argument(..., help="name of the new domain (letters, digits, '-', '_')"),
         source: str = typer.Option(..., "--from", help="a folder (read recursively), a glob, or one file "
                                    "(.txt .md .rst .html .pdf, or .jsonl/.csv with one document per row)"),
         corpora_dir: Path = typer.Option(Path("corpora"), help="where domain folders live"),
         description: str = typer.Option("", help="one line saying what the corpus is"),
         min_chars: int = typer.Option(200, help="documents shorter than this are skipped as near-empty"),
         overwrite: bool = typer.Option(False, "--overwrite", help="replace an existing domain.yaml")) -> None:
    """Create corpora/NAME/domain.yaml from your documents. The text is not copied: the domain file records
    where each document comes from, with its sha256, and `run` reads it from there."""
    from rag_vs_ft.corpus.ingest import IngestError, init_domain

    try:
        rep = init_domain(name, source, corpora_dir, description=description, min_chars=min_chars,
                          overwrite=overwrite)
    except IngestError as exc:
        fail(str(exc))
    out.print(f"[green]created[/green] {rep.path / 'domain.yaml'}: {len(rep.documents)} documents from "
              f"{rep.files_used} of {rep.files_found} files, {rep.characters:,} characters", highlight=False)
    for label, items, show in (("duplicate", rep.duplicates, lambda d: f"{d['path']} = {d['duplicate_of_path']}"),
                               ("near-empty", rep.near_empty, lambda d: f"{d['path']} ({d['characters']} chars)"),
                               ("unreadable", rep.unreadable, lambda d: f"{d['path']}: {d['reason']}")):
        if items:
            out.print(f"[yellow]skipped {len(items)} {label}:[/yellow]", highlight=False)
            for d in items[:20]:
                out.print(f"  {show(d)}", highlight=False)
            if len(items) > 20:
                out.print(f"  … and {len(items) - 20} more (all listed under `skipped` in domain.yaml)")
    out.print(f"next: write {rep.path / 'qa.jsonl'} or run `rag-vs-ft domain synth {name}`, then "
              f"`rag-vs-ft domain validate {name}` and `rag-vs-ft run domain={name}`")


@domain_app.command("validate")
def validate(name: str = typer.Argument(..., help="a domain under corpora/"),
             overrides: Optional[List[str]] = typer.Argument(None, metavar="[KEY=VALUE]...",
                                                              help="run settings to check with, e.g. split.test=0.3")) -> None:
    """Check a domain before spending compute: documents, chunks, questions by kind and split, answers not
    supported by their documents, duplicates, train/test contamination. Exit code 1 on errors."""
    from rag_vs_ft.config import ConfigError, load_config
    from rag_vs_ft.preflight import validate_domain

    try:
        cfg = load_config([f"domain={name}", *(overrides or [])])
    except ConfigError as exc:
        fail(str(exc))
    v = validate_domain(name, cfg)
    f = v.facts
    if "documents" in f:
        out.print(f"[bold]{name}[/bold]: {f['documents']} documents, {f['characters']:,} characters, "
                  f"{f['chunks']} chunks of ≤{f['chunk_size']} characters", highlight=False)
    if "by_kind" in f:
        table = Table(title=f"{f['questions']} questions (unanswerable share {f['unanswerable_share']:.0%}; "
                            f"origin: {', '.join(f'{k} {n}' for k, n in f['by_origin'].items())})")
        for col in ("kind", "train", "dev", "test"):
            table.add_column(col, justify="left" if col == "kind" else "right")
        for kind, c in f["by_kind"].items():
            table.add_row(kind, *(str(c.get(s, 0)) for s in ("train", "dev", "test")))
        out.print(table)
        out.print(f"unsupported answers: {f['unsupported_answers']}, duplicate questions: "
                  f"{f['duplicate_questions']}, contaminated test questions: {f['contaminated_test_questions']}")
    for w in v.warnings:
        out.print(f"[yellow]warning:[/yellow] {w}", highlight=False)
    for e in v.errors:
        err.print(f"[red]error:[/red] {e}", highlight=False, soft_wrap=True)
    if not v.ok:
        raise typer.Exit(1)
    out.print("[green]ok[/green]" + (f" with {len(v.warnings)} warning(s)" if v.warnings else ""))


@domain_app.command("synth")
def synth(name: str = typer.Argument(..., help="a domain under corpora/"),
          settings: Optional[List[str]] = typer.Argument(None, metavar="[KEY=VALUE]...",
                                                         help="e.g. generator=llm max_questions=100 "
                                                              "base_url=http://localhost:8000/v1 model=qwen2.5-7b"),
          corpora_dir: Path = typer.Option(Path("corpora"), help="where domain folders live"),
          replace: bool = typer.Option(False, "--replace", help="drop hand-written rows too (default: keep them "
                                                                "and replace only earlier synthetic rows)")) -> None:
    """Generate question/answer pairs grounded in the domain's documents, plus unanswerable questions, into
    qa.jsonl. Default generator: deterministic and extractive (no LLM); generator=llm uses the local model or
    any OpenAI-compatible endpoint (key from the environment variable api_key_env)."""
    from pydantic import ValidationError

    from rag_vs_ft.config import RunConfig
    from rag_vs_ft.corpus.domain import DomainError, domain_dir, load_documents, qa_file, qa_item, read_spec
    from rag_vs_ft.paths import PathError, writable_dir
    from rag_vs_ft.preflight import check_questions
    from rag_vs_ft.synth import SynthError, SynthSettings, compose_qa, synthesize, write_qa
    from rag_vs_ft.ui import UI

    try:
        cfg = _synth_settings(settings or [])
        path = domain_dir(name, corpora_dir)
        spec = read_spec(path)
        writable_dir(qa_file(spec, path).parent, f"domain folder of {name!r}")  # before the work, not after
        docs, _ = load_documents(spec, path, cfg.cache_dir)
        ui = UI(console=err)
        with ui.live():
            result = synthesize(docs, cfg, progress=lambda desc, total: ui.bar(desc, total))
        qa_path = qa_file(spec, path)
        written, clashes = compose_qa(qa_path, result.rows, mix_with_existing=not replace)
        # the run's own checks, at the default run settings: synth never writes a set `run` would refuse
        ids = {d.id for d in docs}
        items = [qa_item(r, f"{qa_path} row {n}", ids) for n, r in enumerate(written, 1)]
        _, checked = check_questions(items, docs, RunConfig(domain=name, corpora_dir=corpora_dir))
        if checked.errors:
            fail(f"nothing written: {checked.errors[0]}", code=1)
        write_qa(qa_path, written)
    except ValidationError as exc:
        e = exc.errors()[0]
        fail(f"bad synth setting {'.'.join(map(str, e['loc']))}: {e['msg']}; valid: "
             f"{', '.join(SynthSettings.model_fields)}")
    except (DomainError, SynthError, PathError) as exc:
        fail(str(exc))
    if clashes:
        result.rejected["contained"] = result.rejected.get("contained", 0) + clashes
    _print_synth_summary(result.summary(), written, qa_path, checked.warnings)
    out.print(f"next: `rag-vs-ft domain validate {name}`, then `rag-vs-ft run domain={name}`")


def _synth_settings(items: list[str]) -> SynthSettings:
    """SynthSettings from KEY=VALUE items, read as `rag-vs-ft run` reads its overrides; a malformed item or an
    unknown key is a one-line error, a bad value raises pydantic's ValidationError."""
    from rag_vs_ft.config import ConfigError, parse_overrides
    from rag_vs_ft.synth import SynthSettings

    try:
        return SynthSettings(**parse_overrides(items, SynthSettings))
    except ConfigError as exc:
        fail(str(exc))


def _print_synth_summary(s: dict, written: list[dict], qa_path: Path, warnings: list[str]) -> None:
    """What synth wrote, what it rejected and what generating cost, then the checks' notes."""
    c = s["cost"]
    out.print(f"[green]wrote[/green] {len(written)} questions to {qa_path} "
              f"({sum(r.get('origin') == 'synthetic' for r in written)} synthetic by the {s['generator']} generator: "
              f"{', '.join(f'{k} {n}' for k, n in s['kinds'].items())})", highlight=False)
    out.print(f"rejected: {', '.join(f'{k} {n}' for k, n in s['rejected'].items() if n) or 'none'}; cost: "
              f"{c['seconds']:.1f} s, {c['calls']} generator calls, {c['prompt_tokens']} prompt + "
              f"{c['generated_tokens']} generated tokens", highlight=False)
    for note in s.get("notes", []) + warnings:
        out.print(f"[yellow]note:[/yellow] {note}", highlight=False)
