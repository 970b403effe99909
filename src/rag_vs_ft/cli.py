"""Command line: each subcommand is a thin wrapper around one library function."""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table

from rag_vs_ft.cli_domain import domain_app, err, fail, out

os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")  # the tool never calls home
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # our own progress bars replace the libraries' ones
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
warnings.filterwarnings("ignore", category=FutureWarning)
warnings.filterwarnings("ignore", message=".*requires_grad=True to a scalar.*")

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Compare prompt engineering, RAG, a QLoRA fine-tune and fine-tune+RAG on your corpus, offline.")
app.add_typer(domain_app, name="domain")


def _user_errors() -> tuple[type[Exception], ...]:
    from rag_vs_ft.config import ConfigError
    from rag_vs_ft.corpus.domain import DomainError
    from rag_vs_ft.corpus.packages import SourceError
    from rag_vs_ft.models.resolve import ModelError
    from rag_vs_ft.pipeline import PipelineError
    from rag_vs_ft.evaluation.judge import JudgeError
    from rag_vs_ft.report.profiles import ProfileError
    from rag_vs_ft.paths import PathError
    from rag_vs_ft.report.render import ReportError

    return (ConfigError, DomainError, SourceError, ModelError, PipelineError, ReportError, ProfileError, JudgeError,
            PathError)


@app.command()
def run(overrides: Optional[List[str]] = typer.Argument(None, metavar="[KEY=VALUE]...",
                                                         help="config overrides, e.g. domain=legal eval.limit=20 retrieval.top_k=5"),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress output")) -> None:
    """Build the index, fine-tune, answer the test questions with all arms and write the report.

    Keys: see `rag-vs-ft keys`. Re-running an interrupted command resumes it: every finished stage is cached.
    """
    from rag_vs_ft.config import load_config

    errors = _user_errors()
    try:
        cfg = load_config(overrides or [])
        from rag_vs_ft.pipeline import run as run_pipeline
        from rag_vs_ft.ui import UI

        run_dir = run_pipeline(cfg, UI(console=err, quiet=quiet))
    except errors as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted; the converted model, index, adapter and finished arms are cached — re-run the same "
             "command to resume", 130)
    _print_summary(run_dir)


@app.command()
def serve(overrides: Optional[List[str]] = typer.Argument(None, metavar="[KEY=VALUE]...",
                                                           help="the run's settings, as for `run`"),
          port: int = typer.Option(8080, help="port on 127.0.0.1"),
          slots: int = typer.Option(4, min=1, max=64, help="requests decoded together (llama.cpp's n_parallel)")) -> None:
    """Serve the embedded model with a run's adapters through llama.cpp's server, until Ctrl-C.

    Trains (or reuses) the adapters a `run` with the same settings answers with, converts them to GGUF LoRA and
    prints the `run` command that answers through the server.
    """
    import time

    from rag_vs_ft.config import load_config

    try:
        cfg = load_config(overrides or [])
        from rag_vs_ft.serving import start_for_run
        from rag_vs_ft.ui import UI

        server, adapters = start_for_run(cfg, UI(console=err), port, slots)
    except _user_errors() as exc:  # a served-model failure is a ModelError
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted; adapters trained so far are cached", 130)
    for name, path in adapters.items():
        out.print(f"adapter {name}: {path}", soft_wrap=True, markup=False, highlight=False)
    command = ["rag-vs-ft", "run", *(overrides or []), "model.backend=openai", f"model.base_url={server.base_url}"]
    out.print(f"llama.cpp server at {server.base_url}; answer through it with:\n  {' '.join(command)}",
              soft_wrap=True, markup=False, highlight=False)  # one line: the command is copied as it stands
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.close()


def _print_summary(run_dir: Path) -> None:
    import json

    from rag_vs_ft.evaluation.harness import summarize
    from rag_vs_ft.report.context import fmt_ci, primary_rows
    from rag_vs_ft.store import read_jsonl

    meta = json.loads((run_dir / "run.json").read_text())
    rows, _ = primary_rows(read_jsonl(run_dir / "results.jsonl"), meta.get("primary_seed"))
    table = Table(title=f"rag-vs-ft — {run_dir}  (mean [95% CI])")
    columns = [("headline", "correct"), ("answer_score", "answer score"), ("fabrication_rate", "fabrication"),
               ("refusal_rate_unanswerable", "refusal (unans.)"), ("wrong_refusal_rate", "wrong refusal"),
               ("latency_p50_s", "p50 s")]
    table.add_column("arm")
    for _, label in columns:
        table.add_column(label, justify="right")
    for arm, s in summarize(rows, resamples=500).items():
        table.add_row(arm, *(fmt_ci(s, key, 2) for key, _ in columns))
    out.print(table)
    first = (run_dir / "report.md").read_text().split("\n")[2]
    out.print(first.replace("**", ""))
    out.print(f"report: {run_dir / 'report.html'}  (also report.md, results.jsonl, run.json)")


@app.command()
def profiles() -> None:
    """List the decision profiles the recommendation can use (eval.profile=NAME) and their weights."""
    from rag_vs_ft.report.profiles import CRITERIA, list_profiles, load_profile

    table = Table(title="decision profiles (evals/profiles/): weights")
    table.add_column("profile", no_wrap=True)
    for c in CRITERIA:
        table.add_column(c, justify="right")
    loaded = {name: load_profile(name) for name in list_profiles()}
    for name, p in loaded.items():
        table.add_row(name, *(f"{getattr(p.weights, c):g}" for c in CRITERIA))
    out.print(table)
    for name, p in loaded.items():
        out.print(f"[bold]{name}[/bold]: {p.description}")


@app.command()
def domains(corpora_dir: Path = typer.Option(Path("corpora"), help="folder holding one subfolder per domain"),
            cache_dir: Optional[Path] = typer.Option(None, help="cache for downloaded sources")) -> None:
    """List the domains that can be run, with their document and question counts."""
    from rag_vs_ft.config import RunConfig
    from rag_vs_ft.corpus.domain import list_domains
    from rag_vs_ft.synth.domain import load_domain

    cache = cache_dir or RunConfig().cache_dir
    table = Table(title="domains")
    for col in ("domain", "documents", "questions", "answerable", "unanswerable", "description"):
        table.add_column(col)
    names = list_domains(corpora_dir)
    if not names:
        fail(f"no domains under {corpora_dir}")
    for name in names:
        try:
            d = load_domain(name, corpora_dir, cache)
        except _user_errors() as exc:
            table.add_row(name, "?", "?", "?", "?", f"[red]{exc}[/red]")
            continue
        ans = sum(q.answerable for q in d.questions)
        table.add_row(name, str(len(d.documents)), str(len(d.questions)), str(ans), str(len(d.questions) - ans),
                      d.description[:70])
    out.print(table)


@app.command()
def report(run_dir: Path = typer.Argument(..., help="a run directory, e.g. reports/legal/20261121-120000-ab12cd")) -> None:
    """Re-render report.md / report.html from a run's saved results.jsonl and run.json."""
    from rag_vs_ft.report.render import rerender

    try:
        rerender(run_dir)
    except _user_errors() as exc:
        fail(str(exc))
    out.print(f"report: {run_dir / 'report.html'}")


@app.command()
def compare(run_dirs: List[Path] = typer.Argument(..., help="two or more run directories"),
            out_dir: Optional[Path] = typer.Option(None, "--out", help="where compare.md/.html go "
                                                   "(default: reports/compare-<time>)"),
            anyway: bool = typer.Option(False, "--anyway", help="compare runs that answered different test questions")
            ) -> None:
    """One page for several runs: their settings, each arm's headline with its interval, floors, ceiling, verdict."""
    import time

    from rag_vs_ft.report.compare import write_comparison

    target = out_dir or Path("reports") / f"compare-{time.strftime('%Y%m%d-%H%M%S')}"
    try:
        page = write_comparison(run_dirs, target, anyway)
    except _user_errors() as exc:
        fail(str(exc))
    out.print(f"comparison: {page}  (also compare.md, compare.png)", markup=False, highlight=False)


@app.command()
def label(run_dir: Path = typer.Argument(..., help="a run directory, e.g. reports/legal/20261121-120000-ab12cd"),
          n: int = typer.Option(60, "--n", min=2, help="answers to label (a new sample only; a started one resumes)"),
          seed: int = typer.Option(0, help="seed of the sample")) -> None:
    """Label a sample of the run's answers correct or incorrect, one keypress each, then re-render its report.

    The sample covers every arm and both automatic decisions; the arm and the decision stay hidden. Each label is
    saved at once: quit with q and call again to resume. The report then shows the decision's agreement with your
    labels (Cohen's kappa, balanced accuracy) and each arm's share correct by your labels.
    """
    from rag_vs_ft.labelling import label_run

    if not sys.stdin.isatty():
        fail("rag-vs-ft label reads one key per answer: run it in a terminal")
    try:
        done = label_run(run_dir, n, seed, out, typer.getchar)
    except _user_errors() as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted; every label given is saved: run the same command to resume", 130)
    rest = f" ({done['remaining']} to go: run it again to resume)" if done["remaining"] else ""
    out.print(f"{done['labelled']} of {done['total']} answers labelled{rest}; report: {run_dir / 'report.html'}",
              markup=False, highlight=False)


@app.command()
def keys() -> None:
    """List every config key `run` accepts, with its default."""
    from rag_vs_ft.config import RunConfig, valid_keys

    defaults = RunConfig().model_dump()
    for key in valid_keys():
        value = defaults
        for part in key.split("."):
            value = value[part]
        out.print(f"{key} = {value}", highlight=False, soft_wrap=True)  # one line per key, piped or not


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
