"""Latency as a user meets it (one request at a time) and the freshness table with its intervals."""

import time

from rag_vs_ft.corpus.schema import QAItem
from rag_vs_ft.answering import latency_sample, request_latencies
from rag_vs_ft.report.context import freshness_table
from rag_vs_ft.report.recommend import waits


def _qs(n):
    return [QAItem(f"q{i}", f"Question {i}?", "a", ("d",), True, "k") for i in range(n)]


def test_the_latency_sample_spreads_over_the_split():
    assert [q.id for q in latency_sample(_qs(10), 3)] == ["q0", "q3", "q6"]
    assert [q.id for q in latency_sample(_qs(4), 8)] == ["q0", "q1", "q2", "q3"]
    assert latency_sample(_qs(10), 0) == []


def test_each_request_is_timed_on_its_own():
    class Slow:
        calls = []

        def answer(self, questions, on_batch=None):
            Slow.calls.append(len(questions))
            time.sleep(0.03 * len(questions))  # a batch of n would take n times as long
            return []

    lat = request_latencies(Slow(), _qs(3))
    assert Slow.calls == [1, 1, 1] and len(lat) == 3 and all(0.03 <= x < 0.5 for x in lat)


def test_the_profile_waits_the_measured_request_time():
    assert waits({"latency_p50_s": 0.1, "request_p50_s": 1.4}) == 1.4
    assert waits({"latency_p50_s": 0.1}) == 0.1


def test_freshness_cells_carry_bootstrap_intervals():
    rows = ([{"arm": "rag", "credit": c, "fresh": 1.0, "answerable": True} for c in (1, 0, 1, 1)]
            + [{"arm": "rag", "credit": c, "fresh": 0.0, "answerable": True} for c in (0, 0, 1, 0, 0, 1)]
            + [{"arm": "ft", "credit": 0.5, "fresh": 0.0, "answerable": True}])
    rag, ft = freshness_table(rows, ["rag", "ft"], resamples=500)
    assert rag["fresh"] == 0.75 and rag["n_fresh"] == 4 and rag["fresh_ci"][0] <= 0.75 <= rag["fresh_ci"][1]
    assert rag["fresh_ci"][0] < rag["fresh_ci"][1]  # four questions: a wide interval, not a point
    assert abs(rag["other"] - 2 / 6) < 1e-9 and rag["other_ci"][0] <= rag["other"] <= rag["other_ci"][1]
    assert ft["fresh"] is None and ft["fresh_ci"] is None and ft["n_fresh"] == 0
