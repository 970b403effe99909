"""Each statistic on inputs whose answer is known: a difference that is there, and one that is not."""

import numpy as np
import pytest

from rag_vs_ft.evaluation.statistics import bootstrap_ci, paired_bootstrap, paired_statistic, spread


def test_interval_of_a_constant_is_the_constant():
    ci = bootstrap_ci([0.7] * 20)
    assert (ci.mean, ci.low, ci.high, ci.n) == (pytest.approx(0.7), pytest.approx(0.7), pytest.approx(0.7), 20)


def test_interval_matches_the_normal_approximation():
    ci = bootstrap_ci([0.0, 1.0] * 50)  # mean 0.5, standard error 0.05 -> about 0.5 +- 0.098
    assert ci.mean == 0.5
    assert 0.38 < ci.low < 0.42 and 0.58 < ci.high < 0.62


def test_undefined_values_are_left_out():
    assert bootstrap_ci([None, 1.0, None, 1.0]).n == 2
    assert bootstrap_ci([None, None]) is None


def test_a_real_difference_is_significant():
    a = [1.0] * 27 + [0.0] * 3
    b = [0.0] * 27 + [1.0] * 3
    d = paired_bootstrap(a, b)
    assert d.mean_diff == pytest.approx(0.8) and d.significant and d.low > 0.5


def test_no_difference_is_not_significant():
    a = [1.0, 0.0] * 15
    b = [0.0, 1.0] * 15  # same mean, disagree on every question
    d = paired_bootstrap(a, b)
    assert d.mean_diff == 0 and not d.significant and d.low < 0 < d.high


def test_a_constant_shift_has_a_zero_width_interval():
    b = list(np.linspace(0, 1, 40))
    d = paired_bootstrap([x + 0.1 for x in b], b)
    assert d.low == pytest.approx(0.1) and d.high == pytest.approx(0.1) and d.significant


def test_paired_statistic_of_a_mean_equals_paired_bootstrap():
    rng = np.random.default_rng(3)
    a, b = rng.random(50), rng.random(50)

    def mean_x(c):
        return c["x"].mean(axis=-1)

    general = paired_statistic(mean_x, {"x": a}, mean_x, {"x": b}, seed=5)
    direct = paired_bootstrap(a, b, seed=5)
    assert general.mean_diff == pytest.approx(direct.mean_diff)
    assert (general.low, general.high) == (pytest.approx(direct.low), pytest.approx(direct.high))


def test_spread_across_seeds():
    s = spread([1.0, 2.0, 3.0])
    assert s == {"mean": 2.0, "sd": 1.0, "min": 1.0, "max": 3.0, "n": 3}
    assert spread([0.4])["sd"] == 0.0


def test_power_estimates_known_values():
    from rag_vs_ft.evaluation.statistics import detectable_difference, paired_power, required_questions

    # (1.96 + 0.84)^2 * (0.5 / 0.1)^2 = 196.2 -> 197 questions; with 197 the detectable difference is ~0.1
    assert required_questions(0.5, 0.1) == 197
    assert detectable_difference(0.5, 197) == pytest.approx(0.0998, abs=1e-3)
    assert required_questions(0.5, -0.1) == 197  # the sign does not matter
    p = paired_power([1, 0, 1, 0, 1, 1], [0, 0, 1, 1, 0, 1])  # diffs 1,0,0,-1,1,0: mean 1/6, sd 0.753
    assert p.n == 6 and p.sd == pytest.approx(0.7528, abs=1e-3)
    assert p.needed == required_questions(p.sd, 1 / 6) and p.needed > 100
