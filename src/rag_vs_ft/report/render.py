"""Write a run's report files: results.jsonl, run.json, report.md (+ PNGs) and a self-contained report.html.

The HTML is the markdown report rendered by markdown-it with the figures inlined, so the two never disagree.
Every file goes to a temporary name first and is renamed into place, so an interrupted run never leaves a
half-written report. `rerender` rebuilds the report from a run's saved results alone.
"""

from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined
from markdown_it import MarkdownIt
from pydantic import ValidationError

from rag_vs_ft.report import plots
from rag_vs_ft.report.context import build_context
from rag_vs_ft.report.explorer import explorer_data, explorer_html
from rag_vs_ft.report.record import RunRecord
from rag_vs_ft.report.user_labels import read_labels
from rag_vs_ft.store import atomic_write_json, atomic_write_text, read_jsonl

CSS = """body{font-family:system-ui,sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
table{border-collapse:collapse;margin:1em 0;font-size:13px}th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f3f3f3}img{max-width:100%}code{background:#f3f3f3;padding:0 3px}
blockquote{background:#fff6e0;border-left:4px solid #e90;margin:.5em 0;padding:.2em 1em}"""


# Characters that make markdown out of text: emphasis, code, links and images, tables, raw HTML.
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|!#~&])")
# The page loads nothing: figures are inline data, the style is inline, and the only script that may run is the
# question explorer's own, allowed by its hash (`scripts`).
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def csp(scripts: list[str]) -> str:
    return CSP + (f"; script-src {' '.join(scripts)}" if scripts else "")


def md_text(value) -> str:
    """Data (questions, answers, documents, labels) as literal markdown text: every character that could start
    markup is backslash-escaped and line breaks become spaces, so `![x](http://…)` stays text in report.md and
    in the HTML."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


def _env() -> Environment:
    env = Environment(loader=PackageLoader("rag_vs_ft.report", "templates"), undefined=StrictUndefined,
                      autoescape=False, trim_blocks=True, lstrip_blocks=True)
    env.globals["zip"] = zip
    env.filters["md"] = md_text
    return env


def _guarded_markdown(figures: dict[str, bytes]) -> MarkdownIt:
    """markdown-it with raw HTML off, images only for our own figures and links only within the page: a second
    line of defence behind `md_text`, whatever reaches the markdown."""
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    default_image = md.renderer.rules.get("image")

    def image(self, tokens, idx, options, env):
        if tokens[idx].attrGet("src") not in figures:
            return html.escape(tokens[idx].content or "")
        return default_image(tokens, idx, options, env)

    def link_open(self, tokens, idx, options, env):
        href = str(tokens[idx].attrGet("href") or "")
        env.setdefault("open_links", []).append(href.startswith("#"))
        return f'<a href="{html.escape(href)}">' if href.startswith("#") else "<span>"

    def link_close(self, tokens, idx, options, env):
        return "</a>" if env["open_links"].pop() else "</span>"

    def heading_open(self, tokens, idx, options, env):  # ids, so the report can link to its own sections
        slug = "-".join(re.findall(r"[a-z0-9]+", tokens[idx + 1].content.lower()))
        return f'<{tokens[idx].tag} id="{slug}">'

    md.add_render_rule("heading_open", heading_open)
    md.add_render_rule("image", image)
    md.add_render_rule("link_open", link_open)
    md.add_render_rule("link_close", link_close)
    return md


def _figures(ctx: dict) -> dict[str, bytes]:
    figs = {"metrics.png": plots.metric_bars(ctx["summaries"]),
            "quality_vs_latency.png": plots.quality_vs_latency(ctx["summaries"], ctx["rec"].scores)}
    curves = {f"{r.get('arm', 'finetune')} seed {r['seed']}": (r.get("train_loss", []), r.get("dev_loss", []))
              for r in ctx["runs"]}
    if any(t or d for t, d in curves.values()):
        figs["loss_curve.png"] = plots.loss_curves(curves)
    return figs


def to_html(markdown: str, title: str, figures: dict[str, bytes], explorer: tuple[str, str] | None = None) -> str:
    """The markdown as a self-contained page; `explorer`: (its HTML, the CSP source of its script), placed last."""
    body = _guarded_markdown(figures).render(markdown)
    for name, png in figures.items():  # self-contained: figures inline, nothing fetched
        body = body.replace(f'src="{name}"', 'src="data:image/png;base64,' + base64.b64encode(png).decode() + '"')
    fragment, scripts = (explorer[0], [explorer[1]]) if explorer else ("", [])
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{csp(scripts)}"><title>{html.escape(title)}</title>'
            f"<style>{CSS}</style></head><body>\n{body}{fragment}</body></html>\n")


def write_report(run_dir: Path, rows: list[dict], meta: RunRecord) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(run_dir / "results.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    atomic_write_json(run_dir / "run.json", meta.model_dump(mode="json"))
    render(run_dir, rows, meta)


def render(run_dir: Path, rows: list[dict], meta: RunRecord) -> None:
    ctx = build_context(rows, meta, read_labels(run_dir))  # labels live in the run directory: kept on re-rendering
    figs = _figures(ctx)
    for name, png in figs.items():
        tmp = run_dir / f".{name}.tmp"
        tmp.write_bytes(png)
        tmp.replace(run_dir / name)
    markdown = _env().get_template("report.md.j2").render(**ctx, figures=list(figs))
    atomic_write_text(run_dir / "report.md", markdown)
    title = f"rag-vs-ft report — {meta.config.get('domain', '')}"
    explorer = explorer_html(explorer_data(ctx["main"], ctx["arm_specs"], ctx["arms"]))
    atomic_write_text(run_dir / "report.html", to_html(markdown, title, figs, explorer))


class ReportError(ValueError):
    """The directory is not a finished run."""


def rerender(run_dir: Path) -> None:
    if not (run_dir / "results.jsonl").exists() or not (run_dir / "run.json").exists():
        raise ReportError(f"{run_dir} is not a run directory (needs results.jsonl and run.json)")
    rows = read_jsonl(run_dir / "results.jsonl")
    if not rows:
        raise ReportError(f"{run_dir / 'results.jsonl'} holds no results")
    try:
        meta = RunRecord.model_validate_json((run_dir / "run.json").read_text())
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ReportError(f"{run_dir / 'run.json'} does not match this rag-vs-ft's run record "
                          f"({'.'.join(map(str, first['loc'])) or 'run.json'}: {first['msg']}; {exc.error_count()} "
                          "problem(s)): re-run its command (cached answers are reused) to get a current report") from None
    render(run_dir, rows, meta)
