"""Questions, answers and documents are data: in the report they stay text, run nothing and fetch nothing.

The end-to-end check runs the real pipeline on a corpus whose document, question and answers carry a script, a
markdown image, a markdown link and a raw <img> aimed at a local server, then opens report.html in a real headless
Chromium (Debian's package, driven by playwright) and checks that no script ran and no request left the page.
"""

import http.server
import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from browser import open_page
from conftest import REPO
from rag_vs_ft.report.render import md_text, to_html



def payload(port: int) -> str:
    base = f"http://127.0.0.1:{port}"
    return (f"<script>window.__pwned = 1</script> ![pixel]({base}/image.png) [click here]({base}/link) "
            f'<img src="{base}/raw.png" onerror="window.__pwned = 2"> <{base}/autolink>')


def test_md_text_leaves_no_markup():
    text = md_text("a ![x](http://e/i.png) [l](http://e/) <script>x</script> | cell\n# heading")
    html = to_html(f"| answer |\n|---|\n| {text} |\n", "t", {})
    assert "<script" not in html and "<img" not in html and "href=" not in html
    assert "![x](http://e/i.png)" in html  # shown literally, as the data said it
    assert "\n" not in text and "<td>" in html  # the answer stays in its table cell


def test_html_guard_drops_foreign_images_and_links_whatever_the_markdown():
    html = to_html("![a](http://e/a.png) [b](http://e/b) <http://e/c> [top](#top) ![fig](fig.png) "
                   "<img src=http://e/d.png>", "t", {"fig.png": b"PNG"})
    assert 'src="http' not in html and 'href="http' not in html and "<img src=http" not in html
    assert 'href="#top"' in html and 'src="data:image/png;base64,' in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html


HOSTILE_ARM = textwrap.dedent('''
    """A test arm whose every answer is hostile markup."""
    import os

    from rag_vs_ft.arms.base import ArmAnswer
    from rag_vs_ft.arms.registry import ArmSpec, register


    class Hostile:
        name, uses_retrieval = "hostile", False

        def answer(self, questions, on_batch=None):
            return [ArmAnswer(q.id, os.environ["HOSTILE_PAYLOAD"], 1e-6, 0, 0) for q in questions]


    register(ArmSpec("hostile", "candidate", "answers with markup", lambda inputs: Hostile(), uses_model=False))
''')


def hostile_domain(root: Path, bad: str) -> Path:
    d = root / "corpora" / "hostile"
    d.mkdir(parents=True)
    (d / "domain.yaml").write_text("name: hostile\nqa: qa.jsonl\nsources:\n  - loader: jsonl\n")
    colours = ["red", "blue", "green", "black", "white", "amber", "violet", "silver", "golden", "orange"]
    docs = [{"id": f"w{i}", "title": f"Widget {i}",
             "text": f"Widget {i} is painted {c}. It weighs {i + 2} kilograms. {bad if i == 0 else ''}"}
            for i, c in enumerate(colours)]
    rows = []
    for i, c in enumerate(colours):
        rows.append({"id": f"c{i}", "question": f"What colour is widget {i}?", "answer": f"Widget {i} is painted {c}.",
                     "doc_ids": [f"w{i}"], "answerable": True, "kind": "colour"})
        rows.append({"id": f"m{i}", "question": f"How heavy is widget {i}?" + (f" {bad}" if i == 0 else ""),
                     "answer": f"It weighs {i + 2} kilograms.", "doc_ids": [f"w{i}"], "answerable": True,
                     "kind": "weight"})
    (d / "documents.jsonl").write_text("".join(json.dumps(x) + "\n" for x in docs))
    (d / "qa.jsonl").write_text("".join(json.dumps(x) + "\n" for x in rows))
    return root / "corpora"


class CountingHandler(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - the stdlib's name
        CountingHandler.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    server = http.server.HTTPServer(("127.0.0.1", 0), CountingHandler)
    CountingHandler.hits = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def test_hostile_answers_and_documents_neither_run_nor_fetch_in_a_browser(tmp_path, local_server):
    port = local_server.server_address[1]
    bad = payload(port)
    corpora = hostile_domain(tmp_path, bad)
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "hostile_arm.py").write_text(HOSTILE_ARM)
    env = {**os.environ, "RAG_VS_FT_ARMS": "hostile_arm", "HOSTILE_PAYLOAD": bad,
           "PYTHONPATH": os.pathsep.join([str(tmp_path / "plugins"), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-m", "rag_vs_ft.cli", "run", "domain=hostile", f"corpora_dir={corpora}",
                           f"output_dir={tmp_path / 'out'}", f"cache_dir={tmp_path / 'cache'}", "run_id=h",
                           "eval.arms=[hostile]", "eval.references=[always-refuse,extractive]",
                           "eval.forgetting=false", "freshness.share=0", "retrieval.mode=bm25",
                           "split.train=0.5", "split.dev=0.1", "split.test=0.4", "eval.bootstrap_resamples=100"],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = tmp_path / "out" / "hostile" / "h"
    report_md, report_html = (run / "report.md").read_text(), (run / "report.html").read_text()
    assert "window.\\_\\_pwned" in report_md  # the answers are in the report, as text
    body, explorer = report_html.split("</style>", 1)[1].split('<section id="explorer">')
    for live in ("<script", "<img src=\"http", "href=\"http", "<img src=http"):
        assert live not in body, live
    data = explorer.split('<script type="application/json" id="explorer-data">')[1].split("</script>")[0]
    assert "<" not in data and "pwned" in data  # the payload is in the explorer's data, inert
    assert explorer.count("<script") == 2  # the data block and the explorer's own script, nothing else

    with open_page(run / "report.html") as (page, seen):
        page.wait_for_selector("#explorer-app[data-ready='1']")
        page.fill("#ex-text", "pixel")  # the hostile question, opened in the explorer: its text shown, inert
        page.locator("#explorer-table tbody tr:not([hidden])").first.click()
        page.wait_for_timeout(1500)  # room for any image or script to fire
        pwned = page.evaluate("window.__pwned")
        shown = page.inner_text("body")
        detail = page.inner_text("#explorer-detail")
    assert pwned is None and not seen.dialogs and not seen.errors
    assert seen.foreign_requests() == []
    assert CountingHandler.hits == []
    assert "![pixel](" in shown and "<script>" in shown  # the reader sees what the model said
    assert "<script>window.__pwned" in detail
