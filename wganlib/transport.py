"""Exact optimal transport between small point clouds: the primal plan and the dual potential.

Chapter 2 uses these to show Kantorovich-Rubinstein duality on a problem small enough to solve
exactly; chapter 4 uses them to find the lines along which the optimal critic has slope 1.
The ground cost is the Euclidean distance, so the optimal value is the Wasserstein-1
(earth-mover) distance (Villani 2009, ch. 5 and 6; Peyre and Cuturi 2019, ch. 2 and 3).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .metrics import _as_points

__all__ = ["cost_matrix", "exact_plan", "dual_potentials", "DualPotentials"]


def _as_pair(x, y) -> tuple[np.ndarray, np.ndarray]:
    a, b = _as_points(x, "x"), _as_points(y, "y")
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"x and y must be points of the same dimension; got x of shape {a.shape} and y of shape {b.shape}"
        )
    return a, b


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
    a, b = _as_pair(x, y)
    return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))


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
    import ot

    a, b = _as_pair(x, y)
    wa = np.full(len(a), 1.0 / len(a))
    wb = np.full(len(b), 1.0 / len(b))
    plan, log = ot.emd(wa, wb, cost_matrix(a, b), numItermax=num_iter_max, log=True)
    if log.get("warning"):
        raise RuntimeError(f"ot.emd did not solve the problem: {log['warning']}")
    return np.asarray(plan, dtype=np.float64)


class DualPotentials(NamedTuple):
    """A 1-Lipschitz potential ``f`` at the points of both clouds, and the dual value.

    ``f_x`` (n,) and ``f_y`` (m,) are the values of ONE function ``f`` at ``x`` and at ``y``;
    ``value = mean(f_x) - mean(f_y)``. In Kantorovich's two-potential form ``(f, g)`` with
    ``f_i + g_j <= C_ij`` this is ``(f_x, -f_y)``.
    """

    f_x: np.ndarray
    f_y: np.ndarray
    value: float


def dual_potentials(x, y) -> DualPotentials:
    """Solve the Kantorovich-Rubinstein dual of W1 between two equal-weight point clouds.

    The linear program, over the values ``f_k = f(z_k)`` at the points ``z = (x, y)`` stacked::

        maximise  mean_i f(x_i) - mean_j f(y_j)
        subject to f_k - f_l <= ||z_k - z_l||   for every ordered pair k != l

    is solved with ``scipy.optimize.linprog`` (HiGHS). Its optimum equals W1 (strong duality,
    Villani 2009, theorem 5.10 and remark 6.5; Arjovsky et al. 2017, eq. 3), ``f`` is 1-Lipschitz on
    every pair of points, and ``f(x_i) - f(y_j) = ||x_i - y_j||`` wherever the optimal plan moves
    mass from ``x_i`` to ``y_j`` (complementary slackness). ``f`` is fixed up to an additive
    constant; it is returned with mean zero over all ``n + m`` points. The optimal ``f`` need not be
    unique.

    Parameters
    ----------
    x : array or Tensor, shape (n, d) or (n,)
        Points of the first distribution, each of mass ``1/n``.
    y : array or Tensor, shape (m, d) or (m,)
        Points of the second distribution, each of mass ``1/m``.

    Returns
    -------
    DualPotentials
        ``(f_x, f_y, value)`` with ``f_x`` of shape (n,), ``f_y`` of shape (m,), ``value`` a float.

    The program has ``(n + m)(n + m - 1)`` constraints: meant for a few hundred points at most.
    """
    import scipy.optimize
    import scipy.sparse

    a, b = _as_pair(x, y)
    n, m = len(a), len(b)
    z = np.concatenate([a, b])
    size = n + m
    dist = cost_matrix(z, z)
    hi, lo = np.nonzero(~np.eye(size, dtype=bool))  # every ordered pair (hi, lo) of distinct points
    rows = np.arange(len(hi))
    # row r of A encodes f[hi[r]] - f[lo[r]] <= dist[hi[r], lo[r]]
    A = scipy.sparse.csr_matrix(
        (
            np.concatenate([np.ones(len(hi)), -np.ones(len(hi))]),
            (np.concatenate([rows, rows]), np.concatenate([hi, lo])),
        ),
        shape=(len(hi), size),
    )
    # linprog minimises, so negate the objective mean f(x) - mean f(y)
    c = -np.concatenate([np.full(n, 1.0 / n), np.full(m, -1.0 / m)])
    bounds = [(0.0, 0.0)] + [(None, None)] * (size - 1)  # pin f(z_0) = 0: f is free up to a constant
    res = scipy.optimize.linprog(c, A_ub=A, b_ub=dist[hi, lo], bounds=bounds, method="highs")
    if res.status != 0:
        raise RuntimeError(f"the dual linear program failed: {res.message}")
    f = res.x - res.x.mean()
    return DualPotentials(f_x=f[:n].copy(), f_y=f[n:].copy(), value=float(-res.fun))
