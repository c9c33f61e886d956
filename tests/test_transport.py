"""wganlib.transport against independent references: brute force, scipy's assignment solver, and
the optimality conditions of the dual."""

import itertools

import numpy as np
import pytest
import scipy.optimize
import torch

from wganlib import metrics, transport


def brute_force_w1(x, y):
    """W1 of two equal-size clouds by trying every permutation (Birkhoff: an optimum is one)."""
    cost = np.linalg.norm(x[:, None] - y[None], axis=-1)
    n = len(x)
    return min(cost[np.arange(n), list(p)].mean() for p in itertools.permutations(range(n)))


def clouds(seed, n, m=None, d=2):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.normal(0.8, 1.5, size=(m or n, d))


def test_cost_matrix_is_euclidean():
    x, y = clouds(0, 4, 3)
    c = transport.cost_matrix(x, y)
    assert c.shape == (4, 3)
    for i, j in itertools.product(range(4), range(3)):
        assert c[i, j] == pytest.approx(np.sqrt(np.sum((x[i] - y[j]) ** 2)), rel=1e-12)


@pytest.mark.parametrize("seed,n", [(0, 2), (1, 4), (2, 6), (3, 7)])
def test_exact_plan_matches_brute_force(seed, n):
    x, y = clouds(seed, n)
    plan = transport.exact_plan(x, y)
    assert plan.shape == (n, n)
    assert np.all(plan >= -1e-15)
    np.testing.assert_allclose(plan.sum(1), 1 / n, atol=1e-12)
    np.testing.assert_allclose(plan.sum(0), 1 / n, atol=1e-12)
    cost = (plan * transport.cost_matrix(x, y)).sum()
    assert cost == pytest.approx(brute_force_w1(x, y), rel=1e-10)
    # a vertex of the Birkhoff polytope: every point sends all its mass to one point
    assert np.sum(plan > 1e-12) == n


def test_exact_plan_unequal_sizes_matches_pot_value():
    x, y = clouds(4, 9, 5)
    plan = transport.exact_plan(x, y)
    np.testing.assert_allclose(plan.sum(1), 1 / 9, atol=1e-12)
    np.testing.assert_allclose(plan.sum(0), 1 / 5, atol=1e-12)
    assert (plan * transport.cost_matrix(x, y)).sum() == pytest.approx(metrics.wasserstein1(x, y), rel=1e-10)


def test_exact_plan_accepts_torch_and_1d_input():
    x, y = clouds(5, 12)
    want = transport.exact_plan(x, y)
    got = transport.exact_plan(torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64))
    np.testing.assert_allclose(got, want, atol=1e-12)
    # 1-D samples: the value is the closed form by sorting
    a, b = x[:, 0], y[:, 0]
    plan = transport.exact_plan(a, b)
    assert (plan * transport.cost_matrix(a, b)).sum() == pytest.approx(
        np.mean(np.abs(np.sort(a) - np.sort(b))), rel=1e-10
    )


@pytest.mark.parametrize("seed,n,m", [(0, 3, 3), (1, 6, 6), (2, 7, 4), (3, 1, 5), (4, 25, 25)])
def test_dual_potentials_strong_duality_lipschitz_and_tight(seed, n, m):
    x, y = clouds(seed, n, m)
    f_x, f_y, value = transport.dual_potentials(x, y)
    assert f_x.shape == (n,) and f_y.shape == (m,)
    assert value == pytest.approx(f_x.mean() - f_y.mean(), abs=1e-12)
    # strong duality, against an independent solution of the primal (scipy's assignment solver for n == m)
    if n == m:
        cost = transport.cost_matrix(x, y)
        rows, cols = scipy.optimize.linear_sum_assignment(cost)
        assert value == pytest.approx(cost[rows, cols].mean(), rel=1e-8)
    assert value == pytest.approx(metrics.wasserstein1(x, y), rel=1e-8)
    # 1-Lipschitz on every pair of the union of the two clouds
    z = np.concatenate([x, y])
    f = np.concatenate([f_x, f_y])
    dz = transport.cost_matrix(z, z)
    off = ~np.eye(len(z), dtype=bool)
    assert np.max(np.abs(f[:, None] - f[None, :])[off] / dz[off]) <= 1 + 1e-8
    # slope exactly 1 along every pair between which the optimal plan moves mass
    plan = transport.exact_plan(x, y)
    i, j = np.nonzero(plan > 1e-12)
    np.testing.assert_allclose(f_x[i] - f_y[j], transport.cost_matrix(x, y)[i, j], atol=1e-8)
    # returned with mean zero over all points
    assert abs(f.mean()) < 1e-10


def test_dual_potentials_on_a_three_point_example():
    # P = (delta_0 + delta_2) / 2 and Q = delta_1 on the line: W1 = 1, attained by f(t) = |t - 1|
    f_x, f_y, value = transport.dual_potentials(np.array([0.0, 2.0]), np.array([1.0]))
    assert value == pytest.approx(1.0, abs=1e-10)
    np.testing.assert_allclose(f_x - f_y, [1.0, 1.0], atol=1e-10)


def test_dual_potentials_identical_clouds_give_zero():
    x, _ = clouds(6, 5)
    assert transport.dual_potentials(x, x.copy()).value == pytest.approx(0.0, abs=1e-10)


@pytest.mark.parametrize("fn", [transport.exact_plan, transport.dual_potentials, transport.cost_matrix])
def test_bad_shapes_raise_clear_errors(fn):
    with pytest.raises(ValueError, match="same dimension"):
        fn(np.zeros((3, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"shape \(n,\) or \(n, d\)"):
        fn(np.zeros((3, 2, 2)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="empty"):
        fn(np.zeros((0, 2)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="nan or inf"):
        fn(np.array([[0.0, np.nan]]), np.zeros((3, 2)))
