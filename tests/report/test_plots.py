"""report.plots: the metric chart plots exactly the plotted columns every arm has a value for, one bar series
per arm with its interval as error bars (never negative); every figure comes back as PNG bytes."""

import io

import matplotlib.pyplot as plt
import pytest

from rag_vs_ft.evaluation.columns import columns
from rag_vs_ft.report import plots
from rag_vs_ft.report.plots import _err, loss_curves, metric_bars, quality_vs_latency

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def drawn(monkeypatch):
    """The axes each figure was drawn on (plots closes its figures; the objects stay readable)."""
    axes = []
    real = plt.subplots

    def subplots(*a, **k):
        fig, ax = real(*a, **k)
        axes.append(ax)
        return fig, ax

    monkeypatch.setattr(plots.plt, "subplots", subplots)
    return axes


def _summary(value: float, skip=(), half_width=0.05):
    s = {"ci": {}}
    for i, c in enumerate(columns()):
        if c.name in skip:
            s[c.name], s["ci"][c.name] = None, None
        else:
            v = round(value + i / 100, 3)
            s[c.name], s["ci"][c.name] = v, [v - half_width, v + half_width]
    return s


def _image_size(png: bytes):
    import matplotlib.image as mpimg

    return mpimg.imread(io.BytesIO(png), format="png").shape


def test_metric_bars_plots_the_plotted_columns_every_arm_has(drawn):
    summaries = {"rag": _summary(0.3), "majority": _summary(0.1, skip={"semantic_similarity"})}
    png = metric_bars(summaries)
    assert png.startswith(PNG) and len(_image_size(png)) == 3
    ax, = drawn
    expected = [c.name for c in columns() if c.plotted and c.name != "semantic_similarity"]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == [m.replace("_rate", "").replace("_", " ") for m in expected]
    assert "semantic similarity" not in labels  # one arm lacks it
    assert "string similarity" not in labels and "ctx recall" not in labels  # not plotted columns
    assert {"headline", "wrong refusal", "fabrication"} <= set(labels)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["rag", "majority"]
    bars = [c for c in ax.containers if hasattr(c, "patches")]
    assert len(bars) == 2
    for container, arm in zip(bars, summaries):
        assert [round(p.get_height(), 6) for p in container.patches] == [summaries[arm][m] for m in expected]


def test_error_bars_span_each_interval(drawn):
    summaries = {"rag": _summary(0.3, half_width=0.05)}
    metric_bars(summaries)
    ax, = drawn
    errorbar = next(c for c in ax.containers if hasattr(c, "patches")).errorbar
    segments = errorbar.lines[2][0].get_segments()
    spans = [(round(seg[0][1], 6), round(seg[1][1], 6)) for seg in segments]
    expected = [c.name for c in columns() if c.plotted]
    assert spans == [(round(summaries["rag"][m] - 0.05, 6), round(summaries["rag"][m] + 0.05, 6))
                     for m in expected]


def test_a_plug_in_column_marked_plotted_is_plotted(drawn):
    from rag_vs_ft.evaluation import columns as cols

    cols.register(cols.Column("toy_plotted", "toy", "quality", plotted=True, score=lambda q, a: 1.0))
    try:
        s = _summary(0.2)
        s["toy_plotted"], s["ci"]["toy_plotted"] = 0.9, None
        metric_bars({"rag": s})
    finally:
        cols._METRICS._items.pop("toy_plotted")
    assert [t.get_text() for t in drawn[0].get_xticklabels()][-1] == "toy plotted"


def test_no_plotted_metric_in_common_still_draws_an_empty_chart(drawn):
    plotted = {c.name for c in columns() if c.plotted}
    png = metric_bars({"a": _summary(0.3, skip=plotted), "b": _summary(0.3)})
    assert png.startswith(PNG) and drawn[0].get_xticklabels() == []


@pytest.mark.parametrize("summary, err", [
    ({"m": 0.5, "ci": {"m": [0.4, 0.7]}}, (0.1, 0.2)),
    ({"m": 0.5, "ci": {"m": [0.5000001, 0.6]}}, (0.0, 0.1)),  # the value a rounding error below its interval
    ({"m": 0.5, "ci": {"m": [0.3, 0.4999999]}}, (0.2, 0.0)),  # ... or above it
    ({"m": 0.5, "ci": {"m": None}}, (0.0, 0.0)),  # no interval (too few questions)
    ({"m": 0.5, "ci": {}}, (0.0, 0.0)),
    ({"m": 0.5}, (0.0, 0.0)),
])
def test_err_is_the_distance_to_each_end_never_negative(summary, err):
    assert _err(summary, "m") == pytest.approx(err)
    assert min(_err(summary, "m")) >= 0


def test_the_other_figures_are_png_too():
    s = {"headline": 0.4, "latency_p50_s": 1.2, "ci": {"headline": [0.3, 0.5]}}
    assert quality_vs_latency({"rag": s, "majority": {**s, "headline": 0.1}}, {"rag": 0.7}).startswith(PNG)
    assert loss_curves({"closed_book seed 0": ([(1, 2.0), (2, 1.5)], [(2, 1.8)]),
                        "raft seed 0": ([], [])}).startswith(PNG)
