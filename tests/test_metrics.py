import math

import numpy as np
import pytest
import scipy.optimize
import scipy.stats
import torch

from wganlib import data, metrics


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_wasserstein1_equals_the_assignment_optimum(seed):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(40, 3)), rng.normal(1.0, 2.0, size=(40, 3))
    cost = np.linalg.norm(x[:, None] - y[None], axis=-1)
    rows, cols = scipy.optimize.linear_sum_assignment(cost)
    assert metrics.wasserstein1(x, y) == pytest.approx(cost[rows, cols].mean(), rel=1e-9)
    assert metrics.wasserstein1(torch.tensor(x), torch.tensor(y)) == pytest.approx(
        cost[rows, cols].mean(), rel=1e-9
    )


def test_wasserstein1_1d_matches_scipy_and_pot():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=300), rng.exponential(size=300)
    want = scipy.stats.wasserstein_distance(x, y)
    assert metrics.wasserstein1_1d(x, y) == pytest.approx(want, rel=1e-10)
    assert metrics.wasserstein1(x, y) == pytest.approx(want, rel=1e-8)
    # unequal sizes
    z = rng.normal(2.0, size=137)
    assert metrics.wasserstein1_1d(x, z) == pytest.approx(scipy.stats.wasserstein_distance(x, z), rel=1e-10)


def test_parallel_lines_w1_is_the_offset():
    g = torch.Generator().manual_seed(0)
    p0 = data.parallel_lines(300, 0.0, generator=g)
    p1 = data.parallel_lines(300, 0.5, generator=g)
    assert metrics.wasserstein1(p0, p1) == pytest.approx(0.5, abs=0.03)


def test_js_kl_tv():
    assert metrics.js_divergence([1, 0, 0], [0, 2, 3]) == pytest.approx(math.log(2))
    assert metrics.js_divergence([1, 2, 3], [2, 4, 6]) == pytest.approx(0.0, abs=1e-15)
    assert metrics.kl_divergence([0.5, 0.5], [1.0, 0.0]) == math.inf
    assert metrics.total_variation([1, 0], [0, 1]) == 1.0
    p, q = np.array([0.2, 0.5, 0.3]), np.array([0.4, 0.4, 0.2])
    m = (p + q) / 2
    ref = 0.5 * scipy.stats.entropy(p, m) + 0.5 * scipy.stats.entropy(q, m)
    assert metrics.js_divergence(p, q) == pytest.approx(ref, rel=1e-12)
    with pytest.raises(ValueError, match="same bins"):
        metrics.js_divergence([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="non-negative"):
        metrics.js_divergence([1, -2], [1, 2])


@pytest.mark.parametrize("name", ["8gaussians", "25gaussians"])
def test_mode_coverage_of_perfect_and_collapsed_samples(name):
    c, std = data.centres(name), data.mode_std(name)
    perfect = c.repeat(100, 1)  # every mode, equally, exactly on the centre
    mc = metrics.mode_coverage(perfect, c, std)
    assert (mc.modes, mc.high_quality, mc.reverse_kl) == (len(c), 1.0, 0.0)
    collapsed = c[:1].repeat(500, 1)
    mc = metrics.mode_coverage(collapsed, c, std)
    assert mc.modes == 1 and mc.reverse_kl == pytest.approx(math.log(len(c)))
    far = torch.full((100, 2), 50.0)
    mc = metrics.mode_coverage(far, c, std)
    assert mc.modes == 0 and mc.high_quality == 0.0 and mc.reverse_kl == math.inf
    real = data.sample(name, 2500, generator=torch.Generator().manual_seed(0))
    mc = metrics.mode_coverage(real, c, std)
    assert mc.modes == len(c) and mc.high_quality > 0.98 and mc.reverse_kl < 0.02
    assert "modes" in str(mc)


def test_metric_input_errors():
    with pytest.raises(ValueError, match="same dimension"):
        metrics.wasserstein1(np.zeros((3, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="nan or inf"):
        metrics.wasserstein1(np.array([[np.nan]]), np.zeros((1, 1)))
    with pytest.raises(ValueError, match="1-D samples"):
        metrics.wasserstein1_1d(np.zeros((3, 2)), np.zeros(3))


def test_gradient_norm_stats():
    lin = torch.nn.Linear(2, 1)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[3.0, 4.0]]))
    s = metrics.gradient_norm_stats(lin, torch.randn(10, 2))
    assert s["mean"] == pytest.approx(5.0) and s["std"] == pytest.approx(0.0, abs=1e-6)
