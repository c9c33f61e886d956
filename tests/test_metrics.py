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


def test_gaussian_frechet_matches_the_sqrtm_formula():
    from scipy import linalg

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(6, 6)), rng.normal(size=(6, 6))
    c1, c2 = a @ a.T, b @ b.T
    m1, m2 = rng.normal(size=6), rng.normal(size=6)
    r = linalg.sqrtm(c1)
    want = np.sum((m1 - m2) ** 2) + np.trace(c1 + c2 - 2 * linalg.sqrtm(r @ c2 @ r).real)
    assert metrics.gaussian_frechet_distance(m1, c1, m2, c2) == pytest.approx(want, rel=1e-9)
    # 1-D: (m1 - m2)^2 + (s1 - s2)^2
    assert metrics.gaussian_frechet_distance([0.0], [[1.0]], [3.0], [[4.0]]) == pytest.approx(10.0)
    with pytest.raises(ValueError, match="covariances"):
        metrics.gaussian_frechet_distance(m1, c1, m2[:3], c2)


def test_frechet_distance_of_samples():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4000, 3))
    assert metrics.frechet_distance(x, x) == pytest.approx(0.0, abs=1e-9)
    assert metrics.frechet_distance(x, x + 2.0) == pytest.approx(12.0, rel=1e-6)  # shift of 2 in 3 dims
    # a singular covariance (a dead feature) gives no warning and the right value
    y = x.copy()
    y[:, 2] = 0.0
    assert metrics.frechet_distance(y, y) == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError, match="at least 2 rows"):
        metrics.frechet_distance(x[:1], x)


def test_loo_1nn_accuracy_flattens_images_and_matches_proteins():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(30, 1, 4, 4))
    assert metrics.loo_1nn_accuracy(a, a + 100) == 1.0
    assert metrics.loo_1nn_accuracy(a, a + 1e-6) == 0.0
    b = rng.normal(size=(30, 16))
    from wganlib import proteins

    assert proteins.loo_1nn_accuracy(a.reshape(30, 16), b) == metrics.loo_1nn_accuracy(a, b)


def test_image_judge_calibration_and_state():
    from wganlib import data

    x, y = data.digits("train")
    xt, _ = data.digits("test")
    torch.manual_seed(5)
    before = torch.rand(1)
    torch.manual_seed(5)
    judge = metrics.ImageJudge(x, y, xt[::2], epochs=150)
    assert torch.equal(torch.rand(1), before)  # fitting the judge leaves the caller's random state alone
    real = judge.evaluate(xt[1::2])
    noise = judge.evaluate(torch.rand(269, 1, 8, 8, generator=torch.Generator().manual_seed(0)) * 2 - 1)
    copies = judge.evaluate(x[:269])
    one = judge.evaluate(x[:1].repeat(269, 1, 1, 1))
    assert real.classes == 10 and real.confident > 0.85 and real.frechet < 5 and 0.4 < real.nn_accuracy < 0.6
    assert 0.8 < real.memorisation < 1.25
    assert noise.frechet > 20 * real.frechet and noise.nn_accuracy > 0.95
    assert copies.memorisation == 0.0 and copies.copied == 1.0  # exact copies of the training set
    assert real.copied < 0.05
    half = judge.evaluate(torch.cat([x[:100], xt[1::2][:169]]))  # 37% copies: the median misses them
    assert half.memorisation > 0.5 and 0.3 < half.copied < 0.45
    assert one.classes == 1 and one.reverse_kl == pytest.approx(np.log(10))
    with pytest.raises(ValueError, match="pixels each"):
        judge.evaluate(torch.zeros(3, 1, 4, 4))
