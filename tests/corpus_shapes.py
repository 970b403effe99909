"""Small corpora in the shapes real folders come in, built at test time (no corpus text is stored here).

Real documentation comes from Debian's python3.11-doc (installed by scripts/install.sh): its FAQ as Sphinx HTML
(inline markup inside headings) and as reStructuredText sources, its tutorial flattened into plain prose
sections with no question in them. The tests write the rest: Markdown with nested and wrapped headings, an option
table and a procedure; a PDF whose headings wrap over two lines; an HTML page whose headings wrap in the source.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

PYDOC = Path("/usr/share/doc/python3.11/html")
WRAPPED_HEADING = "What does the `hold` flag mean in the package status?"  # <code> becomes backticks


def need_pydoc() -> None:
    if not (PYDOC / "faq").is_dir():
        pytest.skip("Debian's python3.11-doc is not installed (scripts/install.sh installs it)")


def html_corpus(dst: Path) -> Path:
    """Two pages of the Python FAQ as shipped, plus a page whose headings wrap in the source and hold inline tags."""
    need_pydoc()
    dst.mkdir(parents=True)
    for name in ("installed.html", "general.html"):
        (dst / name).write_bytes((PYDOC / "faq" / name).read_bytes())
    (dst / "status.html").write_text("""<html><head><title>Package states</title></head><body>
<nav>Home | Search</nav><main>
<h1>Package states</h1>
<h2>What does the <code>hold</code> flag
    mean in the package status?<a class="headerlink" href="#h">¶</a></h2>
<p>The hold flag keeps a package at its installed version
   during upgrades, until an administrator removes the flag.</p>
<h2>How can I list every package
    that is on <em>hold</em>?</h2>
<p>Run <code>apt-mark showhold</code> to print the name of every held package, one per line.</p>
<h2>Why does an upgrade skip
    some packages?</h2>
<p>An upgrade skips a package that is on hold or whose new version needs a package that is not installed.</p>
</main><footer>Footer text</footer></body></html>""")
    return dst


def rst_corpus(dst: Path) -> Path:
    need_pydoc()
    dst.mkdir(parents=True)
    for name in ("installed.rst.txt", "general.rst.txt", "windows.rst.txt"):
        (dst / name.replace(".rst.txt", ".rst")).write_bytes((PYDOC / "_sources" / "faq" / name).read_bytes())
    return dst


MARKDOWN = """# Tarn sync tool manual

Tarn copies a folder to a remote store and keeps both sides the same.

## Getting started

### Installation

To install Tarn on a laptop, download the single binary and put it on your search path.
Tarn runs on Linux, macOS and Windows without any other dependency.

### First
synchronisation of a new folder
-------------------------------

To start the first synchronisation, follow these steps:

1. Run `tarn init` inside the folder you want to keep in sync.
2. Choose a remote store from the list that Tarn prints.
3. Run `tarn push` to send every file to the remote store.

## Everyday use

### How do I see what changed since the last `push`?

Run `tarn status` to print the files that changed, were added or were deleted since the last push.

### Can Tarn keep old versions of a file?

Yes. Tarn keeps the last ten versions of every file in the remote store and `tarn restore` brings one back.

If the network drops during a push, Tarn resumes the transfer from the last complete file.
The remote store is used to keep one copy of every folder outside the laptop.

## Options

| Option | Meaning |
| --- | --- |
| `--dry-run` | Print what would be copied without copying anything. |
| `--exclude` | Skip files whose names match the given pattern. |
| `--bandwidth` | Limit the transfer rate to the given number of kilobytes per second. |

## Troubleshooting

Why does `tarn push` stop
with a lock error?
-------------------------

Another Tarn process holds the lock file of the folder; wait for it to finish or delete the stale lock file.

When the remote store is full, Tarn stops the push and reports how much space is missing.
You can free space in the remote store by deleting old versions with `tarn prune`.
"""


def markdown_corpus(dst: Path) -> Path:
    dst.mkdir(parents=True)
    (dst / "manual.md").write_text(MARKDOWN)
    return dst


PDF_FAQ = [
    ("How do I configure the Ferro backup agent so that it keeps working while the network connection drops for "
     "a few minutes?", "Set the retry interval in the agent settings file to sixty seconds or more. The agent then "
     "reconnects on its own after every drop and continues the backup where it stopped."),
    ("Why does the Ferro agent refuse to start after an operating system upgrade on the same machine?",
     "The upgrade replaced the system certificate store that the agent checks at start-up. Reinstall the agent "
     "certificates with the repair command and start the agent again."),
    ("Can the Ferro agent back up files that another program holds open for writing at that moment?",
     "Yes. The agent reads open files through a volume snapshot, so a file that is being written is copied as it "
     "was when the snapshot was taken."),
    ("Where does the Ferro agent write its log files on a default installation of the product?",
     "The agent writes its log files to the logs folder inside its installation directory and starts a new file "
     "every day at midnight."),
]
PDF_PROSE = ("To restore a single file, open the catalogue, select the file and press Restore. "
             "If the catalogue is damaged, the agent rebuilds it from the backup volumes on the next start. "
             "The scheduler is used to start backups at fixed times of the day.")


def pdf_corpus(dst: Path) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    dst.mkdir(parents=True)
    styles = getSampleStyleSheet()
    story = [Paragraph("Ferro backup agent questions", styles["Title"])]
    for q, a in PDF_FAQ:  # each heading is long enough to wrap over two lines on A4
        story += [Paragraph(q, styles["Heading2"]), Paragraph(a, styles["BodyText"])]
    story += [Paragraph("Everyday tasks", styles["Heading2"]), Paragraph(PDF_PROSE, styles["BodyText"])]
    SimpleDocTemplate(str(dst / "ferro.pdf"), pagesize=A4, title="Ferro backup agent").build(story)
    return dst


def prose_corpus(dst: Path) -> Path:
    """The Python tutorial as plain prose: one file per section, headings, code, lists and every paragraph
    holding a '?' removed, hard-wrapped at 72 columns as plain-text documentation often is."""
    from rag_vs_ft.corpus.extract import extract

    need_pydoc()
    dst.mkdir(parents=True)
    n = 0
    for page in sorted((PYDOC / "tutorial").glob("*.html")):
        if page.name == "index.html":
            continue
        for section in re.split(r"^#{1,6} .*$", extract(page)[0].text, flags=re.M):
            paras = [p for p in re.split(r"\n\s*\n", section)
                     if p.strip() and "?" not in p and not p.lstrip().startswith(("```", "|", "- ", ">>>", "    "))]
            body = "\n\n".join(textwrap.fill(" ".join(p.split()), 72) for p in paras)
            if len(body) >= 300:
                n += 1
                (dst / f"section-{n:03d}.txt").write_text(body + "\n")
    return dst


SHAPES = {"html": html_corpus, "markdown": markdown_corpus, "rst": rst_corpus, "pdf": pdf_corpus,
          "prose": prose_corpus}
