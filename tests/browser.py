"""Open a report page in Debian's headless chromium through playwright (the browser is never downloaded):
collects console errors, page errors and every request, for the tests of the report pages."""

import contextlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@dataclass
class Seen:
    errors: list[str] = field(default_factory=list)  # console errors and uncaught exceptions (a CSP refusal too)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def foreign_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(("file://", "data:"))]


def require_browser():
    if not CHROMIUM:
        pytest.skip("headless check skipped: Debian's chromium is not installed (make test installs it; "
                    "apt-get install chromium)")
    return pytest.importorskip("playwright.sync_api", reason="headless check skipped: playwright missing")


@contextlib.contextmanager
def open_page(path: Path, width: int = 1200):
    """(page, seen) for the file at `path`; skips the test where chromium or playwright is missing."""
    playwright = require_browser()
    seen = Seen()
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.on("console", lambda m: m.type == "error" and seen.errors.append(m.text))
        page.on("pageerror", lambda e: seen.errors.append(str(e)))
        page.on("request", lambda r: seen.requests.append(r.url))
        page.on("dialog", lambda d: (seen.dialogs.append(d.message), d.dismiss()))
        page.goto(path.as_uri())
        try:
            yield page, seen
        finally:
            browser.close()


def rendered(png: bytes) -> bool:
    """A screenshot that shows something: a PNG with more than a handful of distinct colours."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20) or []
    return image.width > 100 and image.height > 100 and len(colours) > 8
