"""Self-checks for the exercises.

The pattern: ``check_<name>(student_function)`` runs the student's function on a few cases,
compares each with the library's reference, and raises :class:`CheckFailed` with a short
diagnosis of what is wrong: where a plausible mistake explains the answer exactly, the message names
that mistake. When everything agrees it prints a single line and returns None.

No check touches the caller's random state: every draw comes from a local generator, and PyTorch's,
NumPy's and Python's global generators (the student's function may draw from them, and building a
module draws from PyTorch's) are restored when the check returns or fails.
"""

from __future__ import annotations

import functools
import math
import random

import numpy as np
import torch
from torch import nn

from . import metrics, penalties
from ._helpers import to_numpy
from .runtime import preserved_rng


class CheckFailed(AssertionError):
    """A self-check found a case where the student's function disagrees with the reference."""


def _leaves_random_state_alone(check):
    """Run ``check`` with every global random generator restored afterwards (see the module's docstring)."""

    @functools.wraps(check)
    def wrapper(fn):
        py_state, np_state = random.getstate(), np.random.get_state()
        try:
            with preserved_rng():
                return check(fn)
        finally:
            random.setstate(py_state)
            np.random.set_state(np_state)

    return wrapper


def _call(fn, name: str, what: str, *args):
    try:
        return fn(*args)
    except NotImplementedError:
        raise CheckFailed(
            f"{name} is not implemented yet: replace `raise NotImplementedError()` with code that {what}."
        ) from None
    except CheckFailed:
        raise
    except Exception as err:  # report the student's error with the case that caused it
        raise CheckFailed(f"{name} raised {type(err).__name__}: {err}") from err


def _number(value, name: str) -> float:
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise CheckFailed(
                f"{name} should return a single number, got a tensor of shape {tuple(value.shape)}"
            )
        value = value.item()
    if isinstance(value, np.ndarray) and value.size != 1:
        raise CheckFailed(f"{name} should return a single number, got an array of shape {value.shape}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise CheckFailed(f"{name} should return a number, got {type(value).__name__}") from None


def _tensor_penalty(value, name: str) -> torch.Tensor:
    """A penalty must come back as a one-element tensor (so that it can train the critic)."""
    if isinstance(value, (float, int, np.floating)):
        raise CheckFailed(
            f"{name} returned a Python number: .item() or float() cuts the penalty off the critic's weights. "
            "Return the tensor itself (a one-element torch.Tensor)."
        )
    if not isinstance(value, torch.Tensor):
        raise CheckFailed(f"{name} must return a torch.Tensor (so it can be backpropagated), got {type(value).__name__}")
    if value.numel() != 1:
        raise CheckFailed(
            f"{name} must return one number (the mean over the batch), got shape {tuple(value.shape)}. "
            "Did you take the norm over the wrong dimension, or forget .mean()?"
        )
    return value


def _close(a: float, b: float, rel: float, abs_: float = 1e-12) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= max(abs_, rel * max(abs(a), abs(b)))


def _explain(got: list[float], cases: list, mistakes: dict, rel: float) -> str:
    """The hint of the first mistake that reproduces every answer the student gave, or ''."""
    for hint, wrong in mistakes.items():
        try:
            with np.errstate(all="ignore"):
                predicted = [float(wrong(*case)) for case in cases]
        except Exception:  # a mistake that cannot be computed on these cases explains nothing
            continue
        if all(_close(g, p, rel) for g, p in zip(got, predicted, strict=True)):
            return " " + hint
    return ""


def _passed(name: str, n: int) -> None:
    print(f"{name}: all {n} checks pass.")


def _numeric_check(fn, name, what, cases, reference, mistakes, rel, special=None):
    """Run ``fn`` on every case; when an answer is off, name the mistake that explains all of them."""
    got = []
    for args, _label in cases:
        got.append(_number(_call(fn, name, what, *(a.copy() for a in args)), name))
    for (args, label), value in zip(cases, got, strict=True):
        want = reference(*args)
        if _close(value, want, rel, 1e-9):
            continue
        hint = special(value, want, args, label) if special is not None else ""
        hint = hint or _explain(got, [a for a, _ in cases], mistakes, 1e-6)
        raise CheckFailed(f"{label}: got {value:.6f}, expected {want:.6f}.{hint}")
    _passed(name, len(cases))


# --- chapter 1 ---------------------------------------------------------------------------------


def _kl(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    keep = a > 0
    return float(np.sum(a[keep] * np.log(a[keep] / b[keep])))


def _unit(p):
    p = np.asarray(p, float)
    return p / p.sum()


def _js_unnormalised(p, q):
    p, q = np.asarray(p, float), np.asarray(q, float)
    m = 0.5 * (p + q)
    return 0.5 * _kl(p, m) + 0.5 * _kl(q, m)


#: plausible wrong answers to the JS exercise, each with the hint that names it
_JS_MISTAKES = {
    "It looks like log base 2; use natural logs (nats).": lambda p, q: metrics.js_divergence(p, q) / math.log(2),
    "It looks like log base 10; use natural logs (nats).": lambda p, q: metrics.js_divergence(p, q) / math.log(10),
    "It is twice the answer: JS averages the two KL terms (divide by 2).": lambda p, q: 2 * metrics.js_divergence(p, q),
    "Normalise p and q to sum to 1 first.": _js_unnormalised,
    "Only one KL term: JS = KL(p || m) / 2 + KL(q || m) / 2 needs both.": lambda p, q: 0.5 * _kl(
        _unit(p), 0.5 * (_unit(p) + _unit(q))
    ),
    "Only one KL term, KL(p || m): JS = KL(p || m) / 2 + KL(q || m) / 2 needs both (and the halves).": lambda p, q: _kl(
        _unit(p), 0.5 * (_unit(p) + _unit(q))
    ),
    "That is KL(p || q); JS compares each of p and q with the mixture m = (p + q) / 2.": lambda p, q: (
        _kl(_unit(p), _unit(q)) if np.all(_unit(q)[_unit(p) > 0] > 0) else math.inf
    ),
    "That is the symmetrised KL (KL(p || q) + KL(q || p)) / 2; JS compares each with the mixture "
    "m = (p + q) / 2.": lambda p, q: (
        0.5 * (_kl(_unit(p), _unit(q)) + _kl(_unit(q), _unit(p)))
        if np.all((_unit(p) > 0) == (_unit(q) > 0)) else math.inf
    ),
    "The mixture is m = (p + q) / 2, not p + q.": lambda p, q: 0.5 * _kl(_unit(p), _unit(p) + _unit(q))
    + 0.5 * _kl(_unit(q), _unit(p) + _unit(q)),
    "That is the Jensen-Shannon distance, the square root of the divergence; return the divergence.": lambda p, q: (
        math.sqrt(metrics.js_divergence(p, q))
    ),
    "The sign is flipped: KL(p || m) = sum p log(p / m), which is >= 0.": lambda p, q: -metrics.js_divergence(p, q),
    "That is the total variation distance sum |p - q| / 2, not JS.": lambda p, q: metrics.total_variation(p, q),
}


@_leaves_random_state_alone
def check_js_divergence(js) -> None:
    """Check ``js(p, q)``: the Jensen-Shannon divergence in nats of two histograms (numpy arrays)."""
    name, what = "js", "returns the Jensen-Shannon divergence (in nats) of two histograms p and q"
    rng = np.random.default_rng(0)
    cases = [
        ((np.array([1.0, 0.0]), np.array([0.0, 1.0])), "disjoint supports (JS must be log 2)"),
        ((np.array([0.2, 0.3, 0.5]), np.array([0.2, 0.3, 0.5])), "identical histograms (JS must be 0)"),
        ((rng.random(10), rng.random(10)), "two random histograms that do not sum to 1"),
        ((np.array([0.5, 0.5, 0.0]), np.array([0.0, 0.5, 0.5])), "partly overlapping histograms with zeros"),
        ((np.array([0.7, 0.2, 0.1]), np.array([0.1, 0.3, 0.6])), "two histograms that sum to 1"),
    ]

    def special(got, want, args, label):
        if math.isnan(got):
            return " Bins where p or q is 0 contribute 0 (0 log 0 = 0): skip them."
        return ""

    _numeric_check(js, name, what, cases, metrics.js_divergence, _JS_MISTAKES, 1e-6, special)


# --- chapter 2 ---------------------------------------------------------------------------------


def _ks(x, y):
    grid = np.sort(np.concatenate([x, y]))
    fx = np.searchsorted(np.sort(x), grid, side="right") / len(x)
    fy = np.searchsorted(np.sort(y), grid, side="right") / len(y)
    return float(np.max(np.abs(fx - fy)))


_W1_MISTAKES = {
    "You paired the points in their given order: sort both samples first.": lambda x, y: np.mean(np.abs(x - y)),
    "Only one sample was sorted: sort both.": lambda x, y: np.mean(np.abs(np.sort(x) - y)),
    "Only one sample was sorted (y): sort both.": lambda x, y: np.mean(np.abs(x - np.sort(y))),
    "The samples were sorted in opposite orders: sort both ascending.": lambda x, y: np.mean(
        np.abs(np.sort(x) - np.sort(y)[::-1])
    ),
    "That is W2 (root mean square); W1 is the mean absolute difference.": lambda x, y: np.sqrt(
        np.mean((np.sort(x) - np.sort(y)) ** 2)
    ),
    "That is the mean squared difference (W2 squared); W1 is the mean absolute difference.": lambda x, y: np.mean(
        (np.sort(x) - np.sort(y)) ** 2
    ),
    "The absolute value is missing: that is mean(sort(x) - sort(y)), the difference of the means; W1 "
    "averages |sort(x)_i - sort(y)_i|.": lambda x, y: np.mean(np.sort(x) - np.sort(y)),
    "That is the distance between the means, which equals W1 only when one sample lies entirely beyond "
    "the other: average |sort(x)_i - sort(y)_i| instead.": lambda x, y: abs(np.mean(x) - np.mean(y)),
    "That is the sum of the gaps; divide by n (W1 is a mean over the n pairs).": lambda x, y: np.sum(
        np.abs(np.sort(x) - np.sort(y))
    ),
    "That is the largest gap (W-infinity); W1 averages the gaps.": lambda x, y: np.max(
        np.abs(np.sort(x) - np.sort(y))
    ),
    "That is the median gap; W1 is the mean of the gaps.": lambda x, y: np.median(np.abs(np.sort(x) - np.sort(y))),
    "That is the Kolmogorov-Smirnov statistic (the largest gap between the CDFs); W1 is the area between "
    "them.": _ks,
}


@_leaves_random_state_alone
def check_wasserstein1_1d(w1) -> None:
    """Check ``w1(x, y)``: the exact W1 distance between two equal-size 1-D samples (numpy arrays)."""
    name, what = "w1", "returns the Wasserstein-1 distance of two equal-size 1-D samples (sort both)"
    rng = np.random.default_rng(1)
    spread = rng.normal(size=40)
    cases = [
        ((np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0, 2.0])), "identical samples (W1 must be 0)"),
        ((np.array([0.0, 1.0]), np.array([5.0, 6.0])), "a shift by 5 (W1 must be 5)"),
        ((rng.normal(size=50), rng.normal(2.0, 0.5, size=50)), "two unsorted random samples"),
        ((np.array([3.0, 0.0]), np.array([0.0, 3.0])), "the same points in another order (W1 must be 0)"),
        ((rng.permutation(spread), 3.0 * spread - 3.0 * spread.mean() + spread.mean()),
         "two samples with the same mean and different spreads"),
        ((np.array([4.0, 9.0, 7.0]), np.array([1.0, 0.0, 2.0])), "x to the right of y"),
    ]  # fmt: skip
    _numeric_check(w1, name, what, cases, metrics.wasserstein1_1d, _W1_MISTAKES, 1e-8)


def _sinkhorn_scalings(a, b, kernel, iters=20_000):
    """u, v of Sinkhorn's fixed point for ``kernel`` (a reference for diagnosing wrong plans)."""
    v = np.ones(len(b))
    for _ in range(iters):
        u = a / (kernel @ v)
        v = b / (kernel.T @ u)
    return u, v


def _sinkhorn_hint(got, a, b, cost, eps) -> str:
    """Name the mistake that makes ``got`` (an (n, m) plan that differs from the reference)."""
    kernel = np.exp(-cost / eps)
    u, v = _sinkhorn_scalings(a, b, kernel)
    want = u[:, None] * kernel * v[None, :]

    def same(x):
        x = np.asarray(x, dtype=np.float64)
        return x.shape == got.shape and np.allclose(got, x, rtol=1e-5, atol=1e-8)

    candidates = [
        (lambda: kernel, "You returned K itself: scale it, plan = u[:, None] * K * v[None, :]."),
        (lambda: np.outer(u, v), "The kernel is missing: plan = u[:, None] * K * v[None, :], not the outer product of u and v."),
        (lambda: v[:, None] * kernel * u[None, :], "The scalings are swapped: rows are scaled by u "
         "(u[:, None] * K) and columns by v (K * v[None, :])."),
        (lambda: kernel * u[None, :] * v[None, :], "u and v both scaled the columns (1-D arrays broadcast "
         "along the last axis): write u[:, None] * K * v[None, :]."),
        (lambda: kernel / kernel.sum(), "That is K normalised to total mass 1, not the plan: alternate "
         "u = a / (K @ v) and v = b / (K.T @ u), then scale K by them."),
        (lambda: want.T, "The plan is transposed: rows belong to a (n of them), columns to b."),
        (lambda: _plan(a, b, np.exp(-cost * eps)), "You used exp(-eps * cost): the kernel is exp(-cost / eps)."),
        (lambda: _plan(a, b, np.exp(-cost)), "The kernel ignores eps: K = exp(-cost / eps)."),
        (lambda: _plan(a, b, np.exp(-(cost**2) / eps)), "You squared the cost: use the given cost matrix as it is."),
        (lambda: _plan(a, b, np.exp(cost / eps)), "The kernel needs the minus sign: K = exp(-cost / eps)."),
        (lambda: _plan(a, b, kernel, transpose=False), "v = b / (K.T @ u): the column update needs K transposed."),
    ]
    for make, hint in candidates:
        try:
            with np.errstate(all="ignore"):
                if same(make()):
                    return " " + hint
        except ValueError:
            continue
    rows, cols = np.max(np.abs(got.sum(1) - a)), np.max(np.abs(got.sum(0) - b))
    ratio = got / np.where(want > 0, want, 1.0)
    if np.allclose(ratio, ratio.flat[0], rtol=1e-4) and not np.isclose(ratio.flat[0], 1.0):
        return f" It is the plan times {ratio.flat[0]:.3g}: with weights a and b the plan's entries sum to 1."
    if rows > 1e-4 and cols <= 1e-6:
        return (f" Its column sums match b but its row sums are off by {rows:.1e}: keep alternating "
                "u = a / (K @ v) and v = b / (K.T @ u) until both match (one pass is not enough).")
    if cols > 1e-4 and rows <= 1e-6:
        return (f" Its row sums match a but its column sums are off by {cols:.1e}: keep alternating "
                "u = a / (K @ v) and v = b / (K.T @ u) until both match, ending on either update.")
    if rows > 1e-4 or cols > 1e-4:
        return (f" Its row sums are off by {rows:.1e} and its column sums by {cols:.1e}: alternate "
                "u = a / (K @ v) and v = b / (K.T @ u).")
    return ""


def _plan(a, b, kernel, transpose=True):
    if transpose:
        u, v = _sinkhorn_scalings(a, b, kernel, 5000)
    else:
        v = np.ones(len(b))
        for _ in range(5000):
            u = a / (kernel @ v)
            v = b / (kernel @ u)
    return u[:, None] * kernel * v[None, :]


@_leaves_random_state_alone
def check_sinkhorn_plan(sinkhorn) -> None:
    """Check ``sinkhorn(a, b, cost, eps)``: the entropic transport plan of shape (n, m) after Sinkhorn's
    alternating scalings (Cuturi 2013), for weights a (n,), b (m,) and a cost matrix (n, m) (numpy)."""
    import ot

    name = "sinkhorn"
    what = "returns diag(u) K diag(v) with K = exp(-cost / eps), after alternating u = a / (K v), v = b / (K^T u)"
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(5, 2)), rng.normal(1.0, 1.0, size=(5, 2))
    uniform = np.full(5, 0.2)
    x6, y4 = rng.normal(size=(6, 2)), rng.normal(size=(4, 2))
    a6, b4 = rng.random(6) + 0.2, rng.random(4) + 0.2
    a5 = rng.random(5) + 0.2
    cases = [
        (uniform, uniform, np.linalg.norm(x[:, None] - y[None], axis=-1), 0.5, "five points each, eps = 0.5"),
        (a5 / a5.sum(), uniform, np.linalg.norm(x[:, None] - y[None], axis=-1), 0.5,
         "five points each with unequal weights a, eps = 0.5"),
        (a6 / a6.sum(), b4 / b4.sum(), np.linalg.norm(x6[:, None] - y4[None], axis=-1), 0.2,
         "6 x 4 problem with unequal weights, eps = 0.2"),
        (uniform, uniform, np.linalg.norm(x[:, None] - y[None], axis=-1), 5.0, "five points each, eps = 5"),
    ]  # fmt: skip
    for a, b, cost, eps, label in cases:
        got = _call(sinkhorn, name, what, a.copy(), b.copy(), cost.copy(), eps)
        if isinstance(got, tuple) and len(got) == 2:
            raise CheckFailed(f"{label}: return the plan (n, m) = u[:, None] * K * v[None, :], not the pair (u, v)")
        got = to_numpy(got)
        if got.shape != cost.shape:
            hint = " It is transposed: rows belong to a, columns to b." if got.shape == cost.shape[::-1] else ""
            raise CheckFailed(f"{label}: the plan must have the cost's shape {cost.shape}, got {got.shape}.{hint}")
        if not np.all(np.isfinite(got)):
            raise CheckFailed(
                f"{label}: the plan holds nan or inf. Is K = exp(-cost / eps) (with the minus sign)?"
            )
        want = ot.sinkhorn(a, b, cost, reg=eps, numItermax=100_000, stopThr=1e-13)
        if np.max(np.abs(got - want)) > 1e-6:
            raise CheckFailed(
                f"{label}: the plan differs from the reference by {np.max(np.abs(got - want)):.2e}."
                f"{_sinkhorn_hint(got, a, b, cost, eps)}"
            )
    _passed(name, len(cases))


# --- chapters 4 and 5: penalties ---------------------------------------------------------------


class _Recorder(torch.nn.Module):
    """A critic f(x) = scale * |x|^2 / 2 (gradient scale * x) that remembers the points it was evaluated at."""

    def __init__(self, scale: float = 1.0, dtype=torch.float32):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.tensor(float(scale), dtype=dtype))
        self.seen: list[torch.Tensor] = []

    def forward(self, x):
        self.seen.append(x.detach().clone())
        return 0.5 * self.scale * x.flatten(1).pow(2).sum(1, keepdim=True)


def _check_trains_critic(penalty: torch.Tensor, critic: torch.nn.Module, weight: torch.nn.Parameter) -> None:
    """A penalty must reach the critic's ``weight`` through a second derivative (create_graph=True)."""
    if penalty.grad_fn is None:
        raise CheckFailed(
            "the penalty cannot be backpropagated to the critic's weights: compute the gradient with "
            "torch.autograd.grad(..., create_graph=True) and do not detach it."
        )
    critic.zero_grad(set_to_none=True)
    penalty.backward()
    if weight.grad is None or weight.grad.abs() < 1e-8:
        raise CheckFailed(
            "the penalty's gradient with respect to the critic's weights is zero: use create_graph=True."
        )


def _no_backward_into_weights(critic: torch.nn.Module, name: str) -> None:
    if any(p.grad is not None for p in critic.parameters()):
        raise CheckFailed(
            f"{name} called backward() to get the gradient with respect to the input: that also writes "
            "gradients into the critic's weights and leaves no graph for the penalty to train through. "
            "Use torch.autograd.grad(scores.sum(), x, create_graph=True) instead of backward() and x.grad."
        )


def _weights_of_real(points: torch.Tensor, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Per-coordinate t with points = t * real + (1 - t) * fake, shape (n, d) (for flat samples)."""
    return ((points - fake) / (real - fake)).flatten(1)


def _check_interpolates(points: torch.Tensor, real: torch.Tensor, fake: torch.Tensor, what: str = "x_hat"):
    """Name the mistake when ``points`` are not per-sample uniform interpolates; return each alpha, shape (n,)."""
    t = _weights_of_real(points, real, fake)
    if (t.std(dim=1) > 1e-4).float().mean() > 0.5:
        raise CheckFailed(
            f"each coordinate of a sample got its own alpha: draw ONE alpha per sample, shape (n, 1), "
            f"so that {what} lies on the segment between real[i] and fake[i]."
        )
    alpha = t.mean(dim=1)
    if (alpha < -1e-5).any() or (alpha > 1 + 1e-5).any():
        raise CheckFailed(
            f"alpha went outside [0, 1] (min {alpha.min():.2f}, max {alpha.max():.2f}): draw it from a uniform "
            "distribution, torch.rand, not a normal one (torch.randn)."
        )
    if alpha.std() < 1e-3:
        where = ""
        if (alpha - 1).abs().max() < 1e-5:
            where = " (all 1: the critic was evaluated at the real samples themselves, not between them)"
        elif alpha.abs().max() < 1e-5:
            where = " (all 0: the critic was evaluated at the fake samples themselves, not between them)"
        raise CheckFailed(
            f"every sample used the same alpha ({alpha[0]:.3f}){where}: draw a fresh U[0, 1] alpha per sample."
        )
    return alpha


def _gp_hint(got: torch.Tensor, x_hat: torch.Tensor, n: int, one_sided: bool = False, scale: float = 1.0) -> str:
    """Name the mistake that gives ``got`` for the points ``x_hat`` of the critic scale |x|^2/2 (gradient
    scale x_hat)."""
    x_hat = scale * x_hat
    flat = x_hat.flatten(1)
    norm = flat.norm(dim=1)
    right = torch.relu(norm - 1).pow(2).mean() if one_sided else (norm - 1).pow(2).mean()
    candidates = {
        "The norm was taken over dim=0 (across the batch): take it per sample, over dim=1.": (
            (torch.relu(flat.norm(dim=0) - 1) if one_sided else flat.norm(dim=0) - 1).pow(2).mean()
        ),
        "It is 10x too large: return the penalty unscaled; multiply by lambda outside.": 10 * right,
        "You used the squared norm; the penalty is on the norm itself: (||g|| - 1)^2.": (
            (torch.relu(norm**2 - 1) if one_sided else norm**2 - 1).pow(2).mean()
        ),
        "That sums over the batch: take the mean.": right * n,
        "The square is missing: the penalty is the mean of (||g|| - 1)^2.": (
            torch.relu(norm - 1) if one_sided else norm - 1
        ).mean(),
        "That is the mean of |(||g|| - 1)|: square the gap instead.": (norm - 1).abs().mean(),
        "That is the L1 norm of the gradient: use the Euclidean norm, norm(2, dim=1).": (
            (torch.relu(flat.abs().sum(1) - 1) if one_sided else flat.abs().sum(1) - 1).pow(2).mean()
        ),
    }
    if one_sided:
        candidates["That is the two-sided penalty: use relu(norm - 1) (or clamp_min(0)) before squaring."] = (
            (norm - 1).pow(2).mean()
        )
        candidates["That penalises norms BELOW 1: the one-sided penalty is relu(norm - 1)^2, above 1 only."] = (
            torch.relu(1 - norm).pow(2).mean()
        )
    else:
        candidates["That is the one-sided penalty (relu(norm - 1)^2); WGAN-GP penalises both sides."] = (
            torch.relu(norm - 1).pow(2).mean()
        )
    if x_hat.dim() > 2:
        no_flat = x_hat.norm(dim=1)  # over the channels only
        candidates[
            "For image-shaped inputs (n, C, H, W) take the norm over all of a sample's entries: "
            "grads.flatten(1).norm(2, dim=1). Without flatten(1), norm(dim=1) runs over the channels only."
        ] = (torch.relu(no_flat - 1) if one_sided else no_flat - 1).pow(2).mean()
    for hint, value in candidates.items():
        if torch.isclose(got, value.to(got.dtype), rtol=1e-4, atol=1e-7):
            return " " + hint
    return ""


def _linear_unit_critic(d: int) -> nn.Linear:
    lin = torch.nn.Linear(d, 1)  # built inside a check: the global state is restored afterwards
    with torch.no_grad():
        lin.weight.copy_(torch.ones(1, d) / math.sqrt(d))
        lin.bias.fill_(0.3)
    return lin


def _penalty_at_interpolates(fn, name, what, real, fake, one_sided, scale=1.0):
    """Run ``fn`` on a recording critic; check its points and its value against those same points."""
    rec = _Recorder(scale)
    out = _tensor_penalty(_call(fn, name, what, rec, real, fake), name)
    _no_backward_into_weights(rec, name)
    points = [x for x in rec.seen if x.shape == real.shape]
    if not points:
        raise CheckFailed(
            f"the critic was never called on a batch of shape {tuple(real.shape)}: evaluate it at the interpolates"
        )
    x_hat = points[-1]
    _check_interpolates(x_hat, real, fake)
    # for f = scale |x|^2/2 the gradient is scale x_hat, so the expected penalty follows from the points used
    norm = scale * x_hat.flatten(1).norm(dim=1)
    want = (torch.relu(norm - 1) if one_sided else norm - 1).pow(2).mean()
    got = out.detach()
    if not torch.isclose(got, want, rtol=1e-4, atol=1e-6):
        shape = "image-shaped samples (n, C, H, W): " if real.dim() > 2 else ""
        raise CheckFailed(
            f"{shape}penalty {got.item():.5f}, expected {want.item():.5f} for the points you used."
            f"{_gp_hint(got, x_hat, real.shape[0], one_sided, scale)}"
        )
    return out, rec


def _segment_data(n: int, shape: tuple[int, ...], seed: int, shift: float = 3.0):
    g = torch.Generator().manual_seed(seed)
    real = torch.randn(n, *shape, generator=g)
    return real, torch.randn(n, *shape, generator=g) + shift


def _image_case(fn, name, what, one_sided=False):
    real, fake = _segment_data(64, (2, 3, 3), 4, shift=0.5)
    try:
        _penalty_at_interpolates(fn, name, what, real, fake, one_sided)
    except CheckFailed as err:
        text = str(err)
        if "raised RuntimeError" in text and "size of tensor" in text:
            text += (". With image-shaped samples (n, C, H, W) alpha needs shape (n, 1, 1, 1): "
                     "torch.rand(n, *[1] * (real.dim() - 1)).")
        if not text.startswith("image-shaped"):
            text = f"image-shaped samples (64, 2, 3, 3): {text}"
        raise CheckFailed(text) from None


@_leaves_random_state_alone
def check_gradient_penalty(gp) -> None:
    """Check ``gp(critic, real, fake)``: the unscaled WGAN-GP penalty (mean over the batch of
    (||grad critic(x_hat)|| - 1)^2, at per-sample uniform interpolates), on flat and on image-shaped
    samples; catches the classic mistakes."""
    name = "gradient_penalty"
    what = (
        "returns mean((||grad critic(x_hat)||_2 - 1)^2) at x_hat = alpha real + (1 - alpha) fake, one alpha ~ U[0,1] "
        "per sample"
    )
    real, fake = _segment_data(512, (4,), 0)
    # 1. where the critic is evaluated, and the value there
    out, rec = _penalty_at_interpolates(gp, name, what, real, fake, one_sided=False)
    # 2. it must train the critic: the result depends on the critic's parameters
    _check_trains_critic(out, rec, rec.scale)
    # 2b. a flatter critic, whose gradient norm is below 1 at most points: both sides count
    _penalty_at_interpolates(gp, name, what, real, fake, one_sided=False, scale=0.2)
    # 3. a linear critic with a unit weight has penalty 0 everywhere
    val = _number(_call(gp, name, what, _linear_unit_critic(4), real, fake), name)
    if abs(val) > 1e-6:
        raise CheckFailed(f"a linear critic whose weight has norm 1 must give penalty 0, got {val:.6f}")
    # 4. image-shaped samples: one alpha per image, the norm over all of an image's entries
    _image_case(gp, name, what)
    _passed(name, 5)


def _r1_hint(got: float, per_sample_sq: float, n: int) -> str:
    candidates = {
        "You returned the norm, not its square.": math.sqrt(per_sample_sq),
        "That is gamma / 2 * R1 with gamma = 1: return the penalty unscaled (no 1/2).": 0.5 * per_sample_sq,
        "It is 10x too large: return the penalty unscaled; multiply by gamma / 2 outside.": 10 * per_sample_sq,
        "R1 is zero-centred: the mean of ||g||^2, not of (||g|| - 1)^2.": (math.sqrt(per_sample_sq) - 1) ** 2,
        "That sums over the batch: take the mean.": n * per_sample_sq,
    }
    for hint, value in candidates.items():
        if _close(got, value, 1e-4):
            return " " + hint
    return ""


@_leaves_random_state_alone
def check_r1_penalty(r1) -> None:
    """Check ``r1(critic, x)``: the unscaled mean squared gradient norm of the critic at x, as a tensor
    that trains the critic (so computed with create_graph=True), on flat and on image-shaped x."""
    name, what = "r1", "returns mean(||grad critic(x)||^2) at the given points x"
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 3, generator=g)
    lin = torch.nn.Linear(3, 1)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, 2.0, 2.0]]))
    out = _call(r1, name, what, lin, x)
    _no_backward_into_weights(lin, name)
    got = _number(_tensor_penalty(out, name), name)
    if abs(got - 9.0) > 1e-4:
        hint = _r1_hint(got, 9.0, 64)
        if not hint and _close(got, 64.0 * 9.0 / 3.0, 1e-4):
            hint = " The norm was taken over dim=0 (across the batch): take it per sample, over dim=1."
        elif not hint and _close(got, 25.0, 1e-4):
            hint = " That is (sum of the gradient's entries)^2: ||g||^2 = sum of each entry squared."
        raise CheckFailed(f"for a linear critic with weight (1, 2, 2) R1 is |w|^2 = 9, got {got:.5f}.{hint}")
    rec = _Recorder()
    out = _tensor_penalty(_call(r1, name, what, rec, x), name)
    want = x.pow(2).sum(1).mean().item()  # the gradient of |x|^2/2 is x
    if abs(out.item() - want) > 1e-4 * max(1.0, want):
        raise CheckFailed(f"for f(x) = |x|^2/2, R1 = mean |x|^2 = {want:.4f}, got {out.item():.4f}")
    _check_trains_critic(out, rec, rec.scale)
    images = torch.randn(16, 2, 3, 3, generator=g)
    got = _number(_call(r1, name, what, _Recorder(), images), name)
    want = images.flatten(1).pow(2).sum(1).mean().item()
    if abs(got - want) > 1e-4 * max(1.0, want):
        hint = ""
        if _close(got, images.pow(2).sum(1).mean().item(), 1e-4):
            hint = (" For image-shaped inputs (n, C, H, W) sum the squares over all of a sample's entries: "
                    "grad.flatten(1).pow(2).sum(dim=1). Without flatten(1), dim=1 is the channels only.")
        raise CheckFailed(f"image-shaped x (16, 2, 3, 3): R1 = {want:.4f}, got {got:.4f}.{hint}")
    _passed(name, 4)


@_leaves_random_state_alone
def check_one_sided_penalty(one_sided) -> None:
    """Check ``one_sided(critic, real, fake)``: mean of relu(||grad critic(x_hat)|| - 1)^2 at per-sample
    uniform interpolates (Gulrajani et al. 2017, appendix); it must ignore norms below 1."""
    name = "one_sided_penalty"
    what = "returns mean(relu(||grad critic(x_hat)||_2 - 1)^2) at x_hat = alpha real + (1 - alpha) fake"
    real, fake = _segment_data(512, (3,), 0, shift=2.0)
    # 1. the points and the value there, for a critic whose norm is above 1 on most of the segments
    out, rec = _penalty_at_interpolates(one_sided, name, what, real, fake, one_sided=True)
    # 2. a critic with gradient norm below 1 on every segment: the penalty must be exactly 0
    small = _Recorder(scale=0.1)  # |grad| = 0.1 |x| < 1 for these points
    val = _number(_call(one_sided, name, what, small, real, fake), name)
    if abs(val) > 1e-8:
        raise CheckFailed(
            f"a critic with gradient norm below 1 everywhere must give 0, got {val:.6f}. It looks two-sided: "
            "use relu(norm - 1) (or clamp_min(0)) before squaring."
        )
    # 3. it must train the critic
    _check_trains_critic(out, rec, rec.scale)
    _passed(name, 3)


def _fd_chunks(seen: list[torch.Tensor], n: int) -> list[torch.Tensor]:
    rows = torch.cat([x.flatten(1) for x in seen]) if seen else torch.empty(0)
    if len(rows) < 2 * n or len(rows) % n:
        return []
    return list(rows.split(n))


@_leaves_random_state_alone
def check_finite_difference_penalty(fd) -> None:
    """Check ``fd(critic, real, fake)``: mean of (|D(x1) - D(x2)| / ||x1 - x2|| - 1)^2 with two
    independent uniform interpolates per real-fake pair; no second derivatives needed."""
    name = "finite_difference_penalty"
    what = "returns mean((|D(x1) - D(x2)| / ||x1 - x2|| - 1)^2) for two interpolates per pair"
    # 1. a curved critic in float64: the value must follow from the two points used on each segment
    real, fake = _segment_data(1024, (3,), 5, shift=2.0)
    real, fake = real.double(), fake.double()
    for _ in range(5):  # two float32 alphas coincide with probability ~1e-3: draw again then
        rec = _Recorder(dtype=torch.float64)
        out = _tensor_penalty(_call(fd, name, what, rec, real, fake), name)
        chunks = _fd_chunks(rec.seen, len(real))
        if len(chunks) < 2:
            raise CheckFailed(
                f"the critic should be called at two interpolates per pair (x1 and x2, {len(real)} rows each); "
                f"it saw {[tuple(x.shape) for x in rec.seen]}"
            )
        x1, x2 = chunks[-2], chunks[-1]
        if (x1 - x2).norm(dim=1).min() > 1e-6:
            break
    for points in (x1, x2):
        _check_interpolates(points, real, fake, "x1 and x2")
    if torch.allclose(x1, x2):
        raise CheckFailed("x1 and x2 are the same points: draw two independent alphas per sample.")
    slopes = (x1.pow(2).sum(1) - x2.pow(2).sum(1)).abs() / 2 / (x1 - x2).norm(dim=1)
    want = (slopes - 1).pow(2).mean()
    got = out.detach()
    if not torch.isclose(got, want, rtol=1e-6, atol=1e-9):
        signed = (x1.pow(2).sum(1) - x2.pow(2).sum(1)) / 2 / (x1 - x2).norm(dim=1)
        candidates = {
            "The absolute value is missing: the slope is |D(x1) - D(x2)| / ||x1 - x2||.": (signed - 1).pow(2).mean(),
            "The square is missing: the mean of (slope - 1)^2.": (slopes - 1).mean(),
            "That is the one-sided form (relu(slope - 1)^2); this exercise penalises both sides.": torch.relu(
                slopes - 1
            ).pow(2).mean(),
            "You did not divide by the distance ||x1 - x2||.": ((slopes * (x1 - x2).norm(dim=1)) - 1).pow(2).mean(),
            "You divided by the squared distance: the slope is |D(x1) - D(x2)| / ||x1 - x2||.": (
                slopes / (x1 - x2).norm(dim=1) - 1
            ).pow(2).mean(),
            "You returned the slope, not (slope - 1)^2.": slopes.mean(),
            "It is 10x too large: return it unscaled.": 10 * want,
        }  # fmt: skip
        hint = next((" " + h for h, v in candidates.items() if torch.isclose(got, v, rtol=1e-5)), "")
        raise CheckFailed(
            f"for f(x) = |x|^2/2 the penalty at the points you used is {want.item():.6f}, got {got.item():.6f}.{hint}"
        )
    if out.grad_fn is None:
        raise CheckFailed("the penalty does not depend on the critic's weights: do not detach the scores")
    # 2.-3. linear critics along the segments, in float64 (no float32 cancellation when two alphas nearly
    # coincide); a stage is drawn again when it fails, so that only an answer wrong on every draw fails
    real, _ = _segment_data(2048, (2,), 3)
    real = real.double()
    direction = torch.tensor([[1.0, 1.0]], dtype=torch.float64) / math.sqrt(2.0)  # the segments run along (1, 1)
    for weight, want, label in ((1.0, 0.0, "slope exactly 1 along every segment must give 0"),
                                (2.0, 1.0, "slope 2 on every segment must give (2 - 1)^2 = 1")):  # fmt: skip
        lin = torch.nn.Linear(2, 1).double()
        with torch.no_grad():
            lin.weight.copy_(weight * direction)
        for _ in range(5):
            val = _number(_call(fd, name, what, lin, real, real + 2.0), name)
            if abs(val - want) <= 1e-6:
                break
        else:
            if math.isnan(val):
                raise CheckFailed(
                    "the penalty is nan: did x1 and x2 use the same alpha (then ||x1 - x2|| = 0)? Draw two "
                    "independent alphas per sample, or floor the distance (clamp_min(1e-6))."
                )
            hints = {2.0: "You returned the slope, not (slope - 1)^2.", 10.0: "It is 10x too large: return it unscaled.",
                     9.0: "You divided by the squared distance: the slope is |D(x1) - D(x2)| / ||x1 - x2||."}  # fmt: skip
            hint = next((h for v, h in hints.items() if weight == 2.0 and abs(val - v) < 1e-3), "")
            raise CheckFailed(f"a critic with {label}, got {val:.6f}. {hint}".rstrip())
    _passed(name, 3)


# --- chapter 3 ---------------------------------------------------------------------------------


def _clip_net(g: torch.Generator) -> nn.Sequential:
    """Every kind of layer a critic may hold, one nested a level down (children() would miss it)."""
    net = nn.Sequential(
        nn.Conv2d(1, 4, 3),
        nn.BatchNorm2d(4),
        nn.InstanceNorm2d(4, affine=True),
        nn.GroupNorm(2, 4),
        nn.Sequential(nn.Linear(4, 16), nn.LayerNorm(16), nn.ReLU(), nn.Linear(16, 8)),
        nn.ConvTranspose2d(8, 2, 2),
        nn.Linear(8, 1),
    )
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.rand(p.shape, generator=g) * 0.3 - 0.15)  # a third inside [-c, c], the rest outside
    return net


_NORM_KINDS = (nn.modules.batchnorm._BatchNorm, nn.modules.instancenorm._InstanceNorm, nn.LayerNorm, nn.GroupNorm)


@_leaves_random_state_alone
def check_clip_weights(clip) -> None:
    """Check ``clip(module, c)``: clips every weight and bias of the layers with weights (linear,
    convolutional, at any depth) to [-c, c], in place, and leaves normalisation layers alone (BatchNorm,
    InstanceNorm, LayerNorm, GroupNorm)."""
    name, what = "clip", "clamps each layer's parameters to [-c, c] in place (p.data.clamp_(-c, c))"
    net = _clip_net(torch.Generator().manual_seed(0))
    before = {id(p): p.detach().clone() for p in net.parameters()}
    c = 0.05
    _call(clip, name, what, net, c)
    layers = [m for m in net.modules() if any(True for _ in m.parameters(recurse=False))]
    weighted = [m for m in layers if not isinstance(m, _NORM_KINDS)]
    norms = [m for m in layers if isinstance(m, _NORM_KINDS)]
    if all(torch.equal(before[id(p)], p) for p in net.parameters()):
        raise CheckFailed(
            "nothing was clipped: change the parameters in place (p.clamp_(-c, c) or p.data.clamp_(-c, c) under "
            "torch.no_grad()); p = p.clamp(-c, c) only rebinds a name, and clipping gradients is not clipping weights."
        )
    for layer in weighted:
        for pname, p in layer.named_parameters(recurse=False):
            old = before[id(p)]
            inside = old.abs() < c - 1e-7
            if p.numel() >= 8 and torch.all((p + c).abs() < 1e-7):
                raise CheckFailed(
                    f"every entry of {pname} of {layer} equals -c: the bounds are swapped; clamp_(-c, c) takes "
                    "the lower bound first."
                )
            if p.numel() >= 8 and (p.abs() < c - 1e-7).sum() == 0:
                raise CheckFailed(
                    f"every entry of {pname} sits at +-c: clamp, do not replace values by their sign."
                )
            if p.abs().max() > c + 1e-7:
                escaped = [type(m).__name__ for m in weighted if any(q.abs().max() > c + 1e-7 for q in m.parameters())]
                nested = net[4]
                if pname == "bias" and all(q.abs().max() <= c + 1e-7 for m in weighted for q in [m.weight]):
                    hint = " The biases were not clipped: clip every parameter of the layer, weights and biases."
                elif all(q.abs().max() <= c + 1e-7 for m in weighted if not any(m is k for k in nested.modules())
                         for q in m.parameters()):  # fmt: skip
                    hint = (" The layers inside the nested nn.Sequential were not clipped: module.children() "
                            "yields the top level only; module.modules() yields every layer at any depth.")
                elif all(isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) for m in weighted
                         if any(q.abs().max() > c + 1e-7 for q in m.parameters())):  # fmt: skip
                    hint = (" Convolutions were not clipped: clip every layer with weights (nn.Conv2d, "
                            "nn.ConvTranspose2d, ...), not only nn.Linear.")
                else:
                    hint = f" Layers left beyond c: {', '.join(sorted(set(escaped)))}. Clip in place."
                raise CheckFailed(
                    f"{pname} of {layer} still has values up to {p.abs().max():.3f} > c = {c}.{hint}"
                )
            shapes = {
                "every negative entry became 0: clamp to [-c, c], not [0, c]": old.clamp(0, c),
                "nothing reaches c: clamp to [-c, c] with c itself as the bound, not c / 2": old.clamp(-c / 2, c / 2),
                "it looks rescaled (every entry multiplied by one factor)": old * c / old.abs().max(),
                "it looks squashed with c * tanh(p / c)": c * torch.tanh(old / c),
            }
            for text, value in shapes.items():
                right = old.clamp(-c, c)
                if not torch.allclose(value, right, atol=1e-7) and torch.allclose(p, value, atol=1e-7):
                    raise CheckFailed(
                        f"{pname} of {layer}: {text}. Clamping leaves entries inside [-c, c] as they are and sets "
                        "the others to -c or c: p.clamp_(-c, c)."
                    )
            if not torch.equal(p[inside], old[inside]):
                ratio = p[inside] / old[inside]
                if torch.allclose(ratio, ratio.flatten()[0].expand_as(ratio), rtol=1e-4):
                    hint = "it looks rescaled (every entry multiplied by one factor)"
                elif torch.allclose(p, c * torch.tanh(old / c), atol=1e-6):
                    hint = "it looks squashed with c * tanh(p / c)"
                else:
                    hint = "entries already inside [-c, c] changed"
                raise CheckFailed(
                    f"{pname} of {layer}: {hint}. Clamping leaves entries inside [-c, c] as they are and sets "
                    "the others to -c or c: p.clamp_(-c, c)."
                )
    clipped = [type(m).__name__ for m in norms if any(not torch.equal(before[id(p)], p) for p in m.parameters())]
    if clipped:
        raise CheckFailed(
            f"the scale and shift of {', '.join(clipped)} were clipped too: leave normalisation layers alone "
            "(BatchNorm, InstanceNorm, LayerNorm, GroupNorm; clipping a scale to c shrinks every activation "
            "after it)."
        )
    _passed(name, 4)


# --- chapter 6 ---------------------------------------------------------------------------------


def _nn_predictions(x, metric="euclidean", k=1, pool="all", n_real=None):
    """Predicted origin of each point by its nearest other point(s); variants for diagnosing mistakes."""
    origin = np.r_[np.zeros(n_real), np.ones(len(x) - n_real)]
    diff = x[:, None, :] - x[None, :, :]
    d = np.abs(diff).sum(-1) if metric == "manhattan" else np.sqrt((diff**2).sum(-1))
    np.fill_diagonal(d, np.inf)
    if pool == "other":
        d[origin[:, None] == origin[None, :]] = np.inf
    elif pool == "own":
        d[origin[:, None] != origin[None, :]] = np.inf
    if k == 1:
        return origin, origin[d.argmin(1)]
    votes = origin[np.argsort(d, axis=1)[:, :k]].mean(1)
    return origin, (votes > 0.5).astype(float)


def _loo_variants():
    def acc(**kw):
        def f(a, b):
            origin, pred = _nn_predictions(np.concatenate([a, b]), n_real=len(a), **kw)
            return float(np.mean(pred == origin))

        return f

    def self_neighbour(a, b):
        return 1.0

    def per_class(which):
        def f(a, b):
            origin, pred = _nn_predictions(np.concatenate([a, b]), n_real=len(a))
            keep = origin == which
            return float(np.mean(pred[keep] == origin[keep]))

        return f

    def balanced(a, b):
        return 0.5 * (per_class(0)(a, b) + per_class(1)(a, b))

    ref = acc()
    return {
        "Every point was classified right: is each point its own nearest neighbour (leave it out: set the "
        "diagonal of the distance matrix to infinity), or did you search only within its own sample?": self_neighbour,
        "It is 1 minus the answer: count the points whose predicted origin is RIGHT.": lambda a, b: 1 - ref(a, b),
        "That is a count: return the fraction (divide by the number of points).": lambda a, b: ref(a, b)
        * (len(a) + len(b)),
        "That is a percentage: return a fraction in [0, 1].": lambda a, b: 100 * ref(a, b),
        "Only the real points were scored: score every point of the pool, real and synthetic.": per_class(0),
        "Only the synthetic points were scored: score every point of the pool, real and synthetic.": per_class(1),
        "That averages the two samples' accuracies: count every point equally (unequal sizes make them differ).": (
            balanced
        ),
        "That uses the L1 (Manhattan) distance: use the Euclidean distance.": acc(metric="manhattan"),
        "That is a vote of 3 nearest neighbours: use the single nearest other point.": acc(k=3),
        "Every point was predicted wrong: search the nearest neighbour in the whole pool (both samples), not only "
        "in the other sample.": acc(pool="other"),
    }


@_leaves_random_state_alone
def check_loo_1nn_accuracy(acc) -> None:
    """Check ``acc(real, synthetic)``: the leave-one-out accuracy of the 1-nearest-neighbour two-sample
    test on numpy arrays of shape (n, d) and (m, d) (see :func:`wganlib.proteins.loo_1nn_accuracy`)."""
    name = "loo_1nn_accuracy"
    what = (
        "pools real and synthetic, labels each point by its origin, predicts each point's origin from its "
        "nearest OTHER point, and returns the fraction predicted right"
    )
    rng = np.random.default_rng(6)
    real = rng.normal(size=(30, 4))
    cases = [
        ((real, rng.normal(size=(30, 4)) + 20.0), "two far-apart clouds (the accuracy must be 1)"),
        ((real, real + 1e-3), "synthetic points that copy the real ones (the accuracy must be 0)"),
        ((real, rng.normal(size=(30, 4))), "two samples of the same gaussian"),
        ((real[:12], rng.normal(0.5, 1.0, size=(20, 4))), "samples of unequal sizes (12 real, 20 synthetic)"),
        ((real[:25] * [1.0, 1.0, 4.0, 0.2], rng.normal(0.3, 1.0, size=(25, 4)) * [3.0, 0.3, 1.0, 1.0]),
         "clouds stretched along different axes"),
    ]  # fmt: skip
    _numeric_check(acc, name, what, cases, metrics.loo_1nn_accuracy, _loo_variants(), 1e-9)
# --- chapter 7 ---------------------------------------------------------------------------------


def _spd(rng: np.random.Generator, d: int, scale: float = 1.0) -> np.ndarray:
    a = rng.normal(size=(d, d))
    return scale * (a @ a.T / d + 0.1 * np.eye(d))


@_leaves_random_state_alone
def check_gaussian_frechet(frechet) -> None:
    """Check ``frechet(mu1, cov1, mu2, cov2)``: the squared Frechet distance between two gaussians,
    ``||mu1 - mu2||^2 + tr(cov1 + cov2 - 2 (cov1^1/2 cov2 cov1^1/2)^1/2)``, on NumPy arrays."""
    name = "frechet"
    what = "returns ||mu1 - mu2||^2 + tr(cov1) + tr(cov2) - 2 tr((cov1^1/2 cov2 cov1^1/2)^1/2)"
    rng = np.random.default_rng(7)  # a local generator: the caller's random state is not touched
    d = 4
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    eye = np.eye(d)
    cases = [
        (mu1, eye, mu1, eye, "two equal gaussians (the distance must be 0)"),
        (mu1, _spd(rng, d), mu2, _spd(rng, d, 3.0), "general covariances that do not commute"),
        (mu1, eye, mu2, eye, "equal covariances, different means (only the mean term remains)"),
        (mu1, eye, mu1, 4.0 * eye, "equal means, covariances I and 4I (each of d dimensions adds (1 - 2)^2)"),
    ]
    for m1, c1, m2, c2, label in cases:
        got = _number(_call(frechet, name, what, m1, c1, m2, c2), name)
        want = metrics.gaussian_frechet_distance(m1, c1, m2, c2)
        if abs(got - want) <= 1e-6 * max(1.0, abs(want)):
            continue
        mean_term = float(np.sum((m1 - m2) ** 2))
        hint = ""
        if abs(got - (want - mean_term)) < 1e-6 * max(1.0, abs(want)):
            hint = " The mean term ||mu1 - mu2||^2 is missing."
        elif abs(got - np.sqrt(max(want, 0.0))) < 1e-6 * max(1.0, want):
            hint = " You returned the distance; the FID convention is its square (no square root)."
        elif abs(got - _commuting_mistake(m1, c1, m2, c2)) < 1e-6 * max(1.0, abs(want)):
            hint = (" tr(cov1^1/2 cov2^1/2) equals the cross term only when the covariances commute: take "
                    "the square root of cov1^1/2 cov2 cov1^1/2 (or sum sqrt of the eigenvalues of cov1 cov2).")
        else:
            traces = float(np.trace(c1) + np.trace(c2))
            cross = (mean_term + traces - want) / 2.0
            others = {
                "The cross term needs its factor 2: ... - 2 tr((cov1^1/2 cov2 cov1^1/2)^1/2).": (
                    mean_term + traces - cross
                ),
                "The cross term enters with a minus sign: ... - 2 tr((cov1^1/2 cov2 cov1^1/2)^1/2).": (
                    mean_term + traces + 2 * cross
                ),
                "The mean term is the SQUARED distance ||mu1 - mu2||^2, not the distance.": (
                    math.sqrt(mean_term) + traces - 2 * cross
                ),
                "The cross term needs a matrix square root: tr((cov1^1/2 cov2 cov1^1/2)^1/2), not tr(cov1 cov2).": (
                    mean_term + traces - 2 * float(np.trace(c1 @ c2))
                ),
                "tr(cov2) is missing: the trace term is tr(cov1 + cov2 - 2 (...)^1/2).": (
                    mean_term + float(np.trace(c1)) - 2 * cross
                ),
                "Only the diagonals of the covariances were used (as if every feature were independent): use the "
                "full matrices.": _frechet_diagonal(m1, c1, m2, c2),
                "np.sqrt takes the square root of each entry: the cross term needs the matrix square root "
                "(scipy.linalg.sqrtm).": _frechet_entrywise(m1, c1, m2, c2),
            }
            for text, value in others.items():
                if np.isfinite(value) and abs(got - value) < 1e-6 * max(1.0, abs(want)):
                    hint = " " + text
                    break
        raise CheckFailed(f"for {label}: expected {want:.6f}, got {got:.6f}.{hint}")
    _passed(name, len(cases))


def _frechet_diagonal(m1, c1, m2, c2) -> float:
    s1, s2 = np.sqrt(np.diag(c1)), np.sqrt(np.diag(c2))
    return float(np.sum((m1 - m2) ** 2) + np.sum((s1 - s2) ** 2))


def _frechet_entrywise(m1, c1, m2, c2) -> float:
    r1 = np.sqrt(np.clip(c1, 0.0, None))
    with np.errstate(invalid="ignore"):
        cross = np.sqrt(r1 @ c2 @ r1)
    return float(np.sum((m1 - m2) ** 2) + np.trace(c1) + np.trace(c2) - 2.0 * np.trace(cross))


def _sqrtm_psd(c: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh(c)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def _commuting_mistake(m1, c1, m2, c2) -> float:
    """The value a student gets by writing the cross term as tr(cov1^1/2 cov2^1/2)."""
    cross = np.trace(_sqrtm_psd(c1) @ _sqrtm_psd(c2))
    return float(np.sum((m1 - m2) ** 2) + np.trace(c1) + np.trace(c2) - 2.0 * cross)


@_leaves_random_state_alone
def check_conditional_models(build) -> None:
    """Check ``build(latent_dim, n_classes)``, which returns ``(generator, critic)`` for 8x8 images:
    ``generator(z, y)`` of shape (n, 1, 8, 8) in [-1, 1] and ``critic(x, y)`` of shape (n, 1), both
    using the labels ``y`` (int64, shape (n,)), the critic per sample and fit for a gradient penalty."""
    name = "build"
    what = "returns (generator, critic): generator(z, y) -> (n, 1, 8, 8) images, critic(x, y) -> (n, 1) scores"
    latent_dim, k, n = 8, 10, 6
    gen = torch.Generator().manual_seed(3)  # local; building the networks draws from the global generator,
    torch.manual_seed(3)  # which the decorator restores when the check ends
    pair = _call(build, name, what, latent_dim, k)
    if not (isinstance(pair, tuple) and len(pair) == 2):
        raise CheckFailed(f"{name} must return a pair (generator, critic), got {type(pair).__name__}")
    g, c = pair
    z = torch.randn(n, latent_dim, generator=gen)
    y = torch.arange(n) % k
    x = _call(g, "generator", "maps (z, y) to images", z, y)
    if not isinstance(x, torch.Tensor) or tuple(x.shape) != (n, 1, 8, 8):
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise CheckFailed(f"generator(z, y) must return images of shape ({n}, 1, 8, 8), got {shape}")
    if x.abs().max() > 1 + 1e-6:
        raise CheckFailed("the generator's images leave [-1, 1], the range of the data: end it with tanh")
    other = (y + 3) % k
    if torch.allclose(x, g(z, other)):
        raise CheckFailed("the generator ignores its labels: the same z with other labels gives the same images")
    if torch.allclose(x, g(torch.randn(n, latent_dim, generator=gen), y)):
        raise CheckFailed("the generator ignores its noise z: other z with the same labels give the same images")
    if isinstance(c, torch.nn.Module):
        try:
            penalties.check_critic_for_penalty(c)
        except ValueError as err:
            raise CheckFailed(f"the critic is not fit for a gradient penalty: {err}") from None
    x = torch.rand(n, 1, 8, 8, generator=gen) * 2 - 1
    s = _call(c, "critic", "maps (x, y) to one score per image", x, y)
    if not isinstance(s, torch.Tensor) or tuple(s.shape) not in ((n, 1), (n,)):
        shape = tuple(s.shape) if isinstance(s, torch.Tensor) else type(s).__name__
        raise CheckFailed(f"critic(x, y) must return one score per image, shape ({n}, 1); got {shape}")
    if torch.allclose(s, c(x, other)):
        raise CheckFailed("the critic ignores its labels: the same images with other labels get the same scores")
    if not torch.allclose(s.reshape(-1)[:2], c(x[:2], y[:2]).reshape(-1), atol=1e-5):
        raise CheckFailed("an image's score depends on the other images of the batch: make the critic per sample")
    xr = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(c(xr, y).sum(), xr, allow_unused=True)
    if grad is None or grad.abs().sum() == 0:
        raise CheckFailed("the critic's score does not depend on the image x: feed x through the network")
    _passed(name, 7)


#: every self-check of the book, and the error they raise
__all__ = ["CheckFailed", *sorted(name for name in dict(globals()) if name.startswith("check_"))]
