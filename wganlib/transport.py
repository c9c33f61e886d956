"""Exact optimal transport between small point clouds: the primal plan and the dual potential.

Chapter 2 uses these to show Kantorovich-Rubinstein duality on a problem small enough to solve
exactly; chapter 4 uses them to find the lines along which the optimal critic has slope 1.
The ground cost is the Euclidean distance, so the optimal value is the Wasserstein-1
(earth-mover) distance (Villani 2009, ch. 5 and 6; Peyre and Cuturi 2019, ch. 2 and 3).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._helpers import as_point_pair

__all__ = ["cost_matrix", "exact_plan", "dual_potentials", "DualPotentials"]


def _as_pair(x, y) -> tuple[np.ndarray, np.ndarray]:
    return as_point_pair(x, y)


def cost_matrix(x, y) -> np.ndarray:
    """Euclidean distances between every point of ``x`` and every point of ``y``.

    Parameters
    ----------
    x : array or Tensor, shape (n, d) or (n,)
    y : array or Tensor, shape (m, d) or (m,)

    Returns
    -------
    cost : ndarray, shape (n, m)
        ``cost[i, j] = ||x[i] - y[j]||_2``.
    """
    import ot

    a, b = _as_pair(x, y)
    return ot.dist(a, b, metric="euclidean")


def exact_plan(x, y, *, num_iter_max: int = 1_000_000) -> np.ndarray:
    """The optimal coupling (transport plan) between two equal-weight point clouds.

    Solves Kantorovich's linear program ``min_P <P, C>`` over non-negative ``P`` with row sums
    ``1/n`` and column sums ``1/m``, for the Euclidean cost ``C``, with POT's network simplex
    ``ot.emd`` (Flamary et al. 2021; Villani 2009, definition 6.1).

    Parameters
    ----------
    x : array or Tensor, shape (n, d) or (n,)
        Source points, each of mass ``1/n``.
    y : array or Tensor, shape (m, d) or (m,)
        Target points, each of mass ``1/m``.
    num_iter_max : int
        Iteration cap of the network simplex; a ``RuntimeError`` is raised if it is reached.

    Returns
    -------
    plan : ndarray, shape (n, m)
        ``plan[i, j]`` is the mass moved from ``x[i]`` to ``y[j]``; ``(plan * cost_matrix(x, y)).sum()``
        is the Wasserstein-1 distance. For ``n == m`` the solver returns a permutation matrix
        scaled by ``1/n`` (a vertex of the Birkhoff polytope).
    """
    a, b = _as_pair(x, y)
    plan, _, _, _ = _solve(a, b, num_iter_max)
    return plan


class DualPotentials(NamedTuple):
    """A 1-Lipschitz potential ``f`` at the points of both clouds, and the dual value.

    ``f_x`` (n,) and ``f_y`` (m,) are the values of ONE function ``f`` at ``x`` and at ``y``;
    ``value = mean(f_x) - mean(f_y)``. In Kantorovich's two-potential form ``(f, g)`` with
    ``f_i + g_j <= C_ij`` this is ``(f_x, -f_y)``.
    """

    f_x: np.ndarray
    f_y: np.ndarray
    value: float


def _solve(a: np.ndarray, b: np.ndarray, num_iter_max: int):
    """POT's network simplex on the Euclidean cost, equal weights: (plan, cost, u, v)."""
    import ot

    wa = np.full(len(a), 1.0 / len(a))
    wb = np.full(len(b), 1.0 / len(b))
    cost = ot.dist(a, b, metric="euclidean")
    plan, log = ot.emd(wa, wb, cost, numItermax=num_iter_max, log=True)
    if log.get("warning"):
        raise RuntimeError(f"ot.emd did not solve the problem: {log['warning']}; raise num_iter_max")
    return np.asarray(plan, dtype=np.float64), cost, np.asarray(log["u"]), np.asarray(log["v"])


def dual_potentials(x, y, *, num_iter_max: int = 1_000_000) -> DualPotentials:
    """Solve the Kantorovich-Rubinstein dual of W1 between two equal-weight point clouds.

    Returns the values at ``x`` and ``y`` of one 1-Lipschitz potential ``f`` that attains

        mean_i f(x_i) - mean_j f(y_j) = W1(x, y)

    (strong duality: Villani 2009, theorem 5.10 and remark 6.5; Arjovsky et al. 2017, eq. 3).
    POT's network simplex ``ot.emd(..., log=True)`` returns Kantorovich's dual variables ``(u, v)``
    with ``u_i + v_j <= ||x_i - y_j||``, equality where the optimal plan moves mass; the potential is
    their c-transform ``f(z) = min_j (||z - y_j|| - v_j)``, defined at every point ``z`` and
    1-Lipschitz as a minimum of 1-Lipschitz functions. Then ``f(x_i) >= u_i`` and ``f(y_j) <= -v_j``,
    so ``f`` reaches the dual optimum, and ``f(x_i) - f(y_j) = ||x_i - y_j||`` wherever the plan moves
    mass from ``x_i`` to ``y_j`` (complementary slackness). ``f`` is fixed up to an additive constant;
    it is returned with mean zero over all ``n + m`` points. The optimal ``f`` need not be unique.

    Parameters
    ----------
    x : array or Tensor, shape (n, d) or (n,)
        Points of the first distribution, each of mass ``1/n``.
    y : array or Tensor, shape (m, d) or (m,)
        Points of the second distribution, each of mass ``1/m``.
    num_iter_max : int
        Iteration cap of the network simplex; a ``RuntimeError`` is raised if it is reached.

    Returns
    -------
    DualPotentials
        ``(f_x, f_y, value)`` with ``f_x`` of shape (n,), ``f_y`` of shape (m,), ``value`` a float.
    """
    from scipy.spatial.distance import cdist

    a, b = _as_pair(x, y)
    _, _, _, v = _solve(a, b, num_iter_max)
    z = np.concatenate([a, b])
    # the c-transform of v; cdist subtracts coordinates, so ||y_j - y_j|| is exactly 0 (ot.dist's
    # |a|^2 + |b|^2 - 2ab leaves about 1e-8 there)
    f = np.min(cdist(z, b) - v[None, :], axis=1)
    f = f - f.mean()
    f_x, f_y = f[: len(a)].copy(), f[len(a) :].copy()
    return DualPotentials(f_x=f_x, f_y=f_y, value=float(f_x.mean() - f_y.mean()))
