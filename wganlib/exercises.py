"""Self-checks for the exercises.

The pattern: ``check_<name>(student_function)`` runs the student's function on a few cases,
compares each with the library's reference, and raises :class:`CheckFailed` with a short
diagnosis of what is wrong. When everything agrees it prints a single line and returns None.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from . import metrics, penalties


class CheckFailed(AssertionError):
    """A self-check found a case where the student's function disagrees with the reference."""


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
    try:
        return float(value)
    except (TypeError, ValueError):
        raise CheckFailed(f"{name} should return a number, got {type(value).__name__}") from None


def _passed(name: str, n: int) -> None:
    print(f"{name}: all {n} checks pass.")


# --- chapter 1 ---------------------------------------------------------------------------------


def check_js_divergence(js) -> None:
    """Check ``js(p, q)``: the Jensen-Shannon divergence in nats of two histograms (numpy arrays)."""
    name, what = "js", "returns the Jensen-Shannon divergence (in nats) of two histograms p and q"
    rng = np.random.default_rng(0)
    cases = [
        (np.array([1.0, 0.0]), np.array([0.0, 1.0]), "disjoint supports (JS must be log 2)"),
        (np.array([0.2, 0.3, 0.5]), np.array([0.2, 0.3, 0.5]), "identical histograms (JS must be 0)"),
        (rng.random(10), rng.random(10), "two random histograms that do not sum to 1"),
        (np.array([0.5, 0.5, 0.0]), np.array([0.0, 0.5, 0.5]), "partly overlapping histograms with zeros"),
    ]
    for p, q, label in cases:
        got = _number(_call(js, name, what, p.copy(), q.copy()), name)
        want = metrics.js_divergence(p, q)
        if math.isnan(got):
            raise CheckFailed(
                f"{label}: got nan. Bins where p or q is 0 contribute 0 (0 log 0 = 0): skip them."
            )
        if abs(got - want) > 1e-6:
            hint = ""
            if abs(got - want / math.log(2)) < 1e-6:
                hint = " It looks like log base 2; use natural logs (nats)."
            elif abs(got - 2 * want) < 1e-6:
                hint = " It is twice the answer: JS averages the two KL terms (divide by 2)."
            elif "sum to 1" in label:
                hint = " Normalise p and q to sum to 1 first."
            raise CheckFailed(f"{label}: got {got:.6f}, expected {want:.6f}.{hint}")
    _passed(name, len(cases))


# --- chapter 2 ---------------------------------------------------------------------------------


def check_wasserstein1_1d(w1) -> None:
    """Check ``w1(x, y)``: the exact W1 distance between two equal-size 1-D samples (numpy arrays)."""
    name, what = "w1", "returns the Wasserstein-1 distance of two equal-size 1-D samples (sort both)"
    rng = np.random.default_rng(1)
    cases = [
        (np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0, 2.0]), "identical samples (W1 must be 0)"),
        (np.array([0.0, 1.0]), np.array([5.0, 6.0]), "a shift by 5 (W1 must be 5)"),
        (rng.normal(size=50), rng.normal(2.0, 0.5, size=50), "two unsorted random samples"),
        (np.array([3.0, 0.0]), np.array([0.0, 3.0]), "the same points in another order (W1 must be 0)"),
    ]
    for x, y, label in cases:
        got = _number(_call(w1, name, what, x.copy(), y.copy()), name)
        want = metrics.wasserstein1_1d(x, y)
        if abs(got - want) > 1e-8:
            hint = ""
            if abs(got - np.mean(np.abs(x - y))) < 1e-8 and abs(want - got) > 1e-8:
                hint = " You paired the points in their given order: sort both samples first."
            elif abs(got - np.sqrt(np.mean((np.sort(x) - np.sort(y)) ** 2))) < 1e-8:
                hint = " That is W2 (root mean square); W1 is the mean absolute difference."
            raise CheckFailed(f"{label}: got {got:.6f}, expected {want:.6f}.{hint}")
    _passed(name, len(cases))


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
    cases = [
        (uniform, uniform, np.linalg.norm(x[:, None] - y[None], axis=-1), 0.5, "five points each, eps = 0.5"),
        (a6 / a6.sum(), b4 / b4.sum(), np.linalg.norm(x6[:, None] - y4[None], axis=-1), 0.2,
         "6 x 4 problem with unequal weights, eps = 0.2"),
        (uniform, uniform, np.linalg.norm(x[:, None] - y[None], axis=-1), 5.0, "five points each, eps = 5"),
    ]  # fmt: skip
    for a, b, cost, eps, label in cases:
        got = _call(sinkhorn, name, what, a.copy(), b.copy(), cost.copy(), eps)
        if isinstance(got, torch.Tensor):
            got = got.detach().cpu().numpy()
        got = np.asarray(got, dtype=np.float64)
        if got.shape != cost.shape:
            raise CheckFailed(f"{label}: the plan must have the cost's shape {cost.shape}, got {got.shape}")
        if not np.all(np.isfinite(got)):
            raise CheckFailed(
                f"{label}: the plan holds nan or inf. Is K = exp(-cost / eps) (with the minus sign)?"
            )
        want = ot.sinkhorn(a, b, cost, reg=eps, numItermax=100_000, stopThr=1e-13)
        if np.max(np.abs(got - want)) > 1e-6:
            kernel = np.exp(-cost / eps)
            hint = ""
            if np.allclose(got, kernel, atol=1e-6):
                hint = " You returned K itself: scale it, plan = u[:, None] * K * v[None, :]."
            elif np.allclose(
                got, ot.sinkhorn(a, b, cost, reg=1 / eps, numItermax=100_000, stopThr=1e-13), atol=1e-6
            ):
                hint = " You used exp(-eps * cost): the kernel is exp(-cost / eps)."
            elif np.max(np.abs(got.sum(1) - a)) > 1e-4 or np.max(np.abs(got.sum(0) - b)) > 1e-4:
                hint = (
                    f" Its row sums are off by {np.max(np.abs(got.sum(1) - a)):.1e} and its column sums by "
                    f"{np.max(np.abs(got.sum(0) - b)):.1e}: alternate u = a / (K @ v) and v = b / (K.T @ u)."
                )
            raise CheckFailed(
                f"{label}: the plan differs from the reference by {np.max(np.abs(got - want)):.2e}.{hint}"
            )
    _passed(name, len(cases))


# --- chapter 4 ---------------------------------------------------------------------------------


class _Recorder(torch.nn.Module):
    """A critic f(x) = |x|^2 / 2 (gradient x) that remembers the points it was evaluated at."""

    def __init__(self):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.ones(()))
        self.seen: list[torch.Tensor] = []

    def forward(self, x):
        self.seen.append(x.detach().clone())
        return 0.5 * self.scale * x.flatten(1).pow(2).sum(1, keepdim=True)


def _check_trains_critic(penalty: torch.Tensor, weight: torch.nn.Parameter) -> None:
    """A penalty must reach the critic's ``weight`` through a second derivative (create_graph=True)."""
    if penalty.grad_fn is None:
        raise CheckFailed(
            "the penalty cannot be backpropagated to the critic's weights: compute the gradient with "
            "torch.autograd.grad(..., create_graph=True) and do not detach it."
        )
    weight.grad = None
    penalty.backward()
    if weight.grad is None or weight.grad.abs() < 1e-8:
        raise CheckFailed(
            "the penalty's gradient with respect to the critic's weights is zero: use create_graph=True."
        )


def check_gradient_penalty(gp) -> None:
    """Check ``gp(critic, real, fake)``: the unscaled WGAN-GP penalty (mean over the batch of
    (||grad critic(x_hat)|| - 1)^2, at per-sample uniform interpolates); catches the classic mistakes."""
    name = "gradient_penalty"
    what = (
        "returns mean((||grad critic(x_hat)||_2 - 1)^2) at x_hat = alpha real + (1 - alpha) fake, one alpha ~ U[0,1] "
        "per sample"
    )
    g = torch.Generator().manual_seed(0)
    n, d = 512, 4
    real = torch.randn(n, d, generator=g)
    fake = torch.randn(n, d, generator=g) + 3.0

    # 1. where does the student evaluate the critic?
    rec = _Recorder()
    out = _call(gp, name, what, rec, real, fake)
    if not isinstance(out, torch.Tensor):
        raise CheckFailed(
            f"{name} must return a torch.Tensor (so it can be backpropagated), got {type(out).__name__}"
        )
    if out.numel() != 1:
        raise CheckFailed(
            f"{name} must return one number (the mean over the batch), got shape {tuple(out.shape)}. "
            "Did you take the norm over the wrong dimension, or forget .mean()?"
        )
    points = [x for x in rec.seen if x.shape == real.shape]
    if not points:
        raise CheckFailed(
            f"the critic was never called on a batch of shape {tuple(real.shape)}: evaluate it at the interpolates"
        )
    x_hat = points[-1]
    t = (x_hat - real) / (fake - real)  # the interpolation weight of each coordinate
    if (t.std(dim=1) > 1e-4).float().mean() > 0.5:
        raise CheckFailed(
            "each coordinate of a sample got its own alpha: draw ONE alpha per sample, shape (n, 1), "
            "so that x_hat lies on the segment between real[i] and fake[i]."
        )
    alpha = t.mean(dim=1)
    if (alpha < -1e-5).any() or (alpha > 1 + 1e-5).any():
        raise CheckFailed(
            f"alpha went outside [0, 1] (min {alpha.min():.2f}, max {alpha.max():.2f}): draw it from a uniform "
            "distribution, torch.rand, not a normal one (torch.randn)."
        )
    if alpha.std() < 1e-3:
        raise CheckFailed(
            f"every sample used the same alpha ({alpha[0]:.3f}): draw a fresh U[0, 1] alpha per sample."
        )
    # for f = |x|^2/2 the gradient is x_hat, so the expected penalty follows from the points used
    want = ((x_hat.norm(dim=1) - 1.0) ** 2).mean()
    got = out.detach()
    if not torch.isclose(got, want, rtol=1e-4, atol=1e-6):
        wrong_dim = ((x_hat.norm(dim=0) - 1.0) ** 2).mean()
        hint = ""
        if torch.isclose(got, wrong_dim, rtol=1e-4):
            hint = " The norm was taken over dim=0 (across the batch): take it per sample, over dim=1."
        elif torch.isclose(got, 10 * want, rtol=1e-4):
            hint = " It is 10x too large: return the penalty unscaled; multiply by lambda outside."
        elif torch.isclose(got, ((x_hat.norm(dim=1) ** 2 - 1.0) ** 2).mean(), rtol=1e-4):
            hint = " You used the squared norm; the penalty is on the norm itself: (||g|| - 1)^2."
        raise CheckFailed(
            f"penalty {got.item():.5f}, expected {want.item():.5f} for the points you used.{hint}"
        )

    # 2. it must train the critic: the result depends on the critic's parameters
    _check_trains_critic(out, rec.scale)

    # 3. a linear critic with a unit weight has penalty 0 everywhere
    lin = torch.nn.Linear(d, 1)
    with torch.no_grad():
        lin.weight.copy_(torch.ones(1, d) / math.sqrt(d))
    val = _number(_call(gp, name, what, lin, real, fake), name)
    if abs(val) > 1e-6:
        raise CheckFailed(f"a linear critic whose weight has norm 1 must give penalty 0, got {val:.6f}")
    _passed(name, 3)


def check_r1_penalty(r1) -> None:
    """Check ``r1(critic, x)``: the unscaled mean squared gradient norm of the critic at x."""
    name, what = "r1", "returns mean(||grad critic(x)||^2) at the given points x"
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 3, generator=g)
    lin = torch.nn.Linear(3, 1)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, 2.0, 2.0]]))
    got = _number(_call(r1, name, what, lin, x), name)
    if abs(got - 9.0) > 1e-4:
        hint = " (You returned the norm, 3, not its square, 9.)" if abs(got - 3.0) < 1e-4 else ""
        raise CheckFailed(f"for a linear critic with weight (1, 2, 2) R1 is |w|^2 = 9, got {got:.5f}.{hint}")
    rec = _Recorder()
    got = _number(_call(r1, name, what, rec, x), name)
    want = penalties.r1_penalty(rec, x).item()
    if abs(got - want) > 1e-4 * max(1.0, want):
        raise CheckFailed(f"for f(x) = |x|^2/2, R1 = mean |x|^2 = {want:.4f}, got {got:.4f}")
    _passed(name, 2)


# --- chapter 3 ---------------------------------------------------------------------------------


def check_clip_weights(clip) -> None:
    """Check ``clip(module, c)``: clips every weight and bias of the linear layers to [-c, c], in place,
    and leaves normalisation layers alone."""
    name, what = "clip", "clamps each linear layer's parameters to [-c, c] in place (p.data.clamp_(-c, c))"
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(2, 16), torch.nn.LayerNorm(16), torch.nn.ReLU(), torch.nn.Linear(16, 1)
    )
    with torch.no_grad():
        for p in net.parameters():
            p.uniform_(-0.15, 0.15)  # a third of each tensor inside [-c, c], the rest outside
    ln_before = [p.clone() for p in net[1].parameters()]
    c = 0.05
    _call(clip, name, what, net, c)
    for layer in (net[0], net[3]):
        for pname, p in layer.named_parameters():
            if p.abs().max() > c + 1e-7:
                raise CheckFailed(
                    f"{pname} of {layer} still has values up to {p.abs().max():.3f} > c = {c}. Clip in place."
                )
            if p.numel() >= 8 and (p.abs() < c - 1e-7).sum() == 0:
                raise CheckFailed(
                    f"every entry of {pname} sits at +-c: clamp, do not replace values by their sign."
                )
    for before, after in zip(ln_before, net[1].parameters(), strict=False):
        if not torch.equal(before, after):
            raise CheckFailed(
                "the LayerNorm's scale and shift were clipped too: leave normalisation layers alone "
                "(clipping its scale to c would shrink every activation)."
            )
    _passed(name, 3)


# --- chapter 6 ---------------------------------------------------------------------------------


def check_loo_1nn_accuracy(acc) -> None:
    """Check ``acc(real, synthetic)``: the leave-one-out accuracy of the 1-nearest-neighbour two-sample
    test on numpy arrays of shape (n, d) and (m, d) (see :func:`wganlib.proteins.loo_1nn_accuracy`)."""
    from .proteins import loo_1nn_accuracy

    name = "loo_1nn_accuracy"
    what = (
        "pools real and synthetic, labels each point by its origin, predicts each point's origin from its "
        "nearest OTHER point, and returns the fraction predicted right"
    )
    rng = np.random.default_rng(6)
    real = rng.normal(size=(30, 4))
    cases = [
        (real, rng.normal(size=(30, 4)) + 20.0, "two far-apart clouds (the accuracy must be 1)"),
        (real, real + 1e-3, "synthetic points that copy the real ones (the accuracy must be 0)"),
        (real, rng.normal(size=(30, 4)), "two samples of the same gaussian"),
        (real[:12], rng.normal(0.5, 1.0, size=(20, 4)), "samples of unequal sizes (12 real, 20 synthetic)"),
    ]
    for a, b, label in cases:
        got = _number(_call(acc, name, what, a.copy(), b.copy()), name)
        want = loo_1nn_accuracy(a, b)
        if abs(got - want) > 1e-9:
            hint = ""
            if abs(got - 1.0) < 1e-9 and want < 1.0:
                hint = (
                    " Every point was classified right: is each point its own nearest neighbour? Leave it out "
                    "(set the diagonal of the distance matrix to infinity)."
                )
            elif abs(got - (1.0 - want)) < 1e-9:
                hint = " It is 1 minus the answer: count the points whose predicted origin is RIGHT."
            raise CheckFailed(f"{label}: got {got:.4f}, expected {want:.4f}.{hint}")
    _passed(name, len(cases))


# --- chapter 4 extra ---------------------------------------------------------------------------


class _Radial(torch.nn.Module):
    """A critic f(x) = scale * |x|^2 / 2 whose gradient norm at x is scale * |x| (per sample)."""

    def __init__(self, scale: float):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.tensor(float(scale)))

    def forward(self, x):
        return 0.5 * self.scale * x.flatten(1).pow(2).sum(1, keepdim=True)


def _segment_pair(n: int = 4096, d: int = 3, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    real = torch.randn(n, d, generator=g)
    fake = torch.randn(n, d, generator=g) + 2.0
    return real, fake


def _expected_over_alpha(fn, real, fake, draws: int = 64, seed: int = 1):
    """Average of fn(x_hat) over many per-sample uniform alphas (a Monte Carlo reference)."""
    g = torch.Generator().manual_seed(seed)
    total = 0.0
    for _ in range(draws):
        alpha = torch.rand(real.shape[0], 1, generator=g)
        total += fn(alpha * real + (1 - alpha) * fake).item()
    return total / draws


def check_one_sided_penalty(one_sided) -> None:
    """Check ``one_sided(critic, real, fake)``: mean of relu(||grad critic(x_hat)|| - 1)^2 at per-sample
    uniform interpolates (Gulrajani et al. 2017, appendix); it must ignore norms below 1."""
    name = "one_sided_penalty"
    what = "returns mean(relu(||grad critic(x_hat)||_2 - 1)^2) at x_hat = alpha real + (1 - alpha) fake"
    real, fake = _segment_pair()

    # 1. a critic whose gradient norm is below 1 on every segment: the penalty must be exactly 0
    small = _Radial(0.1)  # |grad| = 0.1 |x| < 1 for these points
    val = _number(_call(one_sided, name, what, small, real, fake), name)
    if abs(val) > 1e-8:
        hint = (
            " It looks two-sided: use relu(norm - 1) (or clamp_min(0)) before squaring." if val > 1e-3 else ""
        )
        raise CheckFailed(f"a critic with gradient norm below 1 everywhere must give 0, got {val:.6f}.{hint}")

    # 2. a steeper critic: compare with the expectation over alpha
    steep = _Radial(1.0)
    out = _call(one_sided, name, what, steep, real, fake)
    if not isinstance(out, torch.Tensor) or out.numel() != 1:
        raise CheckFailed(f"{name} must return a one-element torch.Tensor (the mean over the batch)")
    got = out.item()
    want = _expected_over_alpha(lambda x: torch.relu(x.flatten(1).norm(dim=1) - 1).pow(2).mean(), real, fake)
    two_sided = _expected_over_alpha(lambda x: (x.flatten(1).norm(dim=1) - 1).pow(2).mean(), real, fake)
    if abs(got - want) > 0.05 * want:
        hint = ""
        if abs(got - two_sided) < 0.05 * two_sided and abs(two_sided - want) > 0.1 * want:
            hint = " That is the two-sided penalty."
        raise CheckFailed(
            f"for f(x) = |x|^2/2 the one-sided penalty is about {want:.4f}, got {got:.4f}.{hint}"
        )

    # 3. it must train the critic
    _check_trains_critic(out, steep.scale)
    _passed(name, 3)


def check_finite_difference_penalty(fd) -> None:
    """Check ``fd(critic, real, fake)``: mean of (|D(x1) - D(x2)| / ||x1 - x2|| - 1)^2 with two
    independent uniform interpolates per real-fake pair; no second derivatives needed."""
    name = "finite_difference_penalty"
    what = "returns mean((|D(x1) - D(x2)| / ||x1 - x2|| - 1)^2) for two interpolates per pair"
    real, fake = _segment_pair(n=8192, d=2)

    # 1. a linear critic with a unit weight along the segments has slope 1 on each: penalty 0
    lin = torch.nn.Linear(2, 1)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, 1.0]]) / math.sqrt(2.0))  # segments run along (1, 1)
    shift = torch.randn(real.shape[0], 1, generator=torch.Generator().manual_seed(3)) * torch.tensor(
        [[1.0, -1.0]]
    )
    val = _number(_call(fd, name, what, lin, real + shift, real + shift + 2.0), name)
    if abs(val) > 1e-6:
        raise CheckFailed(f"a critic with slope exactly 1 along every segment must give 0, got {val:.6f}")

    # 2. a linear critic with weight norm 2, pointing along the segments: every slope is 2, penalty 1
    with torch.no_grad():
        lin.weight.mul_(2.0)
    val = _number(_call(fd, name, what, lin, real + shift, real + shift + 2.0), name)
    if abs(val - 1.0) > 1e-4:
        hint = " (You returned the slope, not (slope - 1)^2.)" if abs(val - 2.0) < 1e-3 else ""
        raise CheckFailed(f"slope 2 on every segment must give (2 - 1)^2 = 1, got {val:.6f}.{hint}")

    # 3. a curved critic: compare with the library's estimate (both random, so loosely)
    out = _call(fd, name, what, _Radial(1.0), real, fake)
    if not isinstance(out, torch.Tensor) or out.numel() != 1:
        raise CheckFailed(f"{name} must return a one-element torch.Tensor (the mean over the batch)")
    want = sum(penalties.finite_difference_penalty(_Radial(1.0), real, fake).item() for _ in range(8)) / 8
    if abs(out.item() - want) > 0.1 * want:
        raise CheckFailed(
            f"for f(x) = |x|^2/2 the penalty is about {want:.4f}, got {out.item():.4f}. Use two independent "
            "alphas per sample, each U[0, 1] with shape (n, 1), and divide by the distance ||x1 - x2||."
        )
    if out.grad_fn is None:
        raise CheckFailed("the penalty does not depend on the critic's weights: do not detach the scores")
    _passed(name, 3)


# --- chapter 7 ---------------------------------------------------------------------------------


def _spd(rng: np.random.Generator, d: int, scale: float = 1.0) -> np.ndarray:
    a = rng.normal(size=(d, d))
    return scale * (a @ a.T / d + 0.1 * np.eye(d))


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
        (mu1, eye, mu2, eye, "equal covariances, different means (only the mean term remains)"),
        (mu1, eye, mu1, 4.0 * eye, "equal means, covariances I and 4I (each of d dimensions adds (1 - 2)^2)"),
        (mu1, _spd(rng, d), mu2, _spd(rng, d, 3.0), "general covariances that do not commute"),
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
            if abs(got - (mean_term + traces - cross)) < 1e-6 * max(1.0, abs(want)):
                hint = " The cross term needs its factor 2: ... - 2 tr((cov1^1/2 cov2 cov1^1/2)^1/2)."
        raise CheckFailed(f"for {label}: expected {want:.6f}, got {got:.6f}.{hint}")
    _passed(name, len(cases))


def _sqrtm_psd(c: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh(c)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def _commuting_mistake(m1, c1, m2, c2) -> float:
    """The value a student gets by writing the cross term as tr(cov1^1/2 cov2^1/2)."""
    cross = np.trace(_sqrtm_psd(c1) @ _sqrtm_psd(c2))
    return float(np.sum((m1 - m2) ** 2) + np.trace(c1) + np.trace(c2) - 2.0 * cross)


def check_conditional_models(build) -> None:
    """Check ``build(latent_dim, n_classes)``, which returns ``(generator, critic)`` for 8x8 images:
    ``generator(z, y)`` of shape (n, 1, 8, 8) in [-1, 1] and ``critic(x, y)`` of shape (n, 1), both
    using the labels ``y`` (int64, shape (n,)), the critic per sample and fit for a gradient penalty."""
    name = "build"
    what = "returns (generator, critic): generator(z, y) -> (n, 1, 8, 8) images, critic(x, y) -> (n, 1) scores"
    latent_dim, k, n = 8, 10, 6
    gen = torch.Generator().manual_seed(3)  # local: the caller's random state is not touched
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)  # building the networks draws their initial weights
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
    _passed(name, 6)


#: every self-check of the book, and the error they raise
__all__ = ["CheckFailed", *sorted(name for name in dict(globals()) if name.startswith("check_"))]
