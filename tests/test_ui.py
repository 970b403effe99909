"""ui: stage timings (summed per stage, kept on errors), quiet mode and the progress bars."""

import io
import time

import pytest
from rich.console import Console

from rag_vs_ft.ui import UI


def _ui(quiet=False):
    out = io.StringIO()
    return UI(Console(file=out, width=100, force_terminal=False), quiet=quiet), out


def test_stage_times_and_prints_and_sums_a_repeated_stage():
    ui, out = _ui()
    with ui.stage("index"):
        time.sleep(0.05)
    first = ui.timings["index"]
    assert 0.04 <= first < 1.0
    with ui.stage("index"):
        time.sleep(0.05)
    assert first + 0.04 <= ui.timings["index"] < first + 1.0
    text = out.getvalue()
    assert text.count("▶ index") == 2 and f"index: {ui.timings['index']:.1f}s" in text  # the running total


def test_a_failing_stage_is_timed_and_the_error_passes_through():
    ui, _ = _ui()
    with pytest.raises(KeyError):
        with ui.stage("answer"):
            raise KeyError("boom")
    assert "answer" in ui.timings


def test_quiet_prints_nothing_but_still_times():
    ui, out = _ui(quiet=True)
    ui.info("hello")
    with ui.stage("s"), ui.live():
        ui.bar("work", 3)(2)
    assert out.getvalue() == "" and "s" in ui.timings


def test_bars_advance_only_inside_live():
    ui, _ = _ui()
    ui.bar("outside", 5)(3)  # no live display: a no-op, not an error
    with ui.live():
        advance = ui.bar("embedding", 4)
        advance(1)
        advance(2, extra="note")
        task = ui._progress.tasks[0]
        assert (task.description, task.total, task.completed, task.fields["extra"]) == ("embedding", 4, 3, "note")
    assert ui._progress is None
