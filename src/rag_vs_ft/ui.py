"""Console output: one rich progress display for the whole run, stage timings, quiet mode for tests."""

from __future__ import annotations

import contextlib
import time
from typing import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class UI:
    def __init__(self, console: Console | None = None, quiet: bool = False):
        self.console = console or Console(stderr=True)
        self.quiet = quiet
        self.timings: dict[str, float] = {}
        self._progress: Progress | None = None

    def info(self, message: str) -> None:
        if not self.quiet:
            self.console.print(message)

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time a pipeline stage; the timings go into run.json."""
        self.info(f"[bold]▶ {name}[/bold]")
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(time.perf_counter() - t0, 2) + self.timings.get(name, 0.0)
            self.info(f"  [dim]{name}: {self.timings[name]:.1f}s[/dim]")

    @contextlib.contextmanager
    def live(self) -> Iterator[None]:
        if self.quiet:
            yield
            return
        self._progress = Progress(TextColumn("  {task.description}"), BarColumn(), MofNCompleteColumn(),
                                  TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[extra]}"),
                                  console=self.console, transient=False)
        with self._progress:
            yield
        self._progress = None

    def bar(self, description: str, total: int) -> Callable[..., None]:
        """Start a progress bar; the returned function advances it (by n items, with an optional note)."""
        if self._progress is None:
            return lambda n=1, extra="": None
        task = self._progress.add_task(description, total=total, extra="")

        def advance(n: int = 1, extra: str = "") -> None:
            self._progress.update(task, advance=n, extra=extra)  # type: ignore[union-attr]

        return advance
