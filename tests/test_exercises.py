"""The self-checks accept correct answers on every random stream, leave the caller's random state
alone, and catch plausible wrong answers (at least ten per check) with a hint that names the mistake."""

import copy
import math
import random

import numpy as np
import ot
import pytest
import torch
from scipy import linalg, stats
from torch import nn

from wganlib import exercises, metrics, penalties
from wganlib.exercises import CheckFailed

CHECKS = [getattr(exercises, n) for n in exercises.__all__ if n.startswith("check_")]


def stub(*args):
    raise NotImplementedError()


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_stubs_are_told_what_to_implement(check):
    with pytest.raises(CheckFailed, match="is not implemented yet: replace `raise NotImplementedError\\(\\)`"):
        check(stub)


def expect(check, wrong, hint):
    with pytest.raises(CheckFailed, match=hint), np.errstate(all="ignore"):
        check(wrong)


# --- correct answers: the references and alternatives a student may write -------------------------


def js_loops(p, q):
    p, q = np.asarray(p, float) / np.sum(p), np.asarray(q, float) / np.sum(q)
    total = 0.0
    for a, b in zip(p, q, strict=True):
        m = (a + b) / 2
        total += (a * math.log(a / m) if a > 0 else 0.0) + (b * math.log(b / m) if b > 0 else 0.0)
    return total / 2


def js_scipy(p, q):
    from scipy.spatial.distance import jensenshannon

    return jensenshannon(p, q) ** 2


def w1_scipy(x, y):
    return stats.wasserstein_distance(x, y)


def w1_cdf(x, y):  # the area between the CDFs
    grid = np.sort(np.concatenate([x, y]))
    fx = np.searchsorted(np.sort(x), grid[:-1], side="right") / len(x)
    fy = np.searchsorted(np.sort(y), grid[:-1], side="right") / len(y)
    return float(np.sum(np.abs(fx - fy) * np.diff(grid)))


def sinkhorn_loop(a, b, cost, eps, n_iter=3000):
    K = np.exp(-cost / eps)
    v = np.ones(len(b))
    for _ in range(n_iter):
        u = a / (K @ v)
        v = b / (K.T @ u)
    return u[:, None] * K * v[None, :]


def sinkhorn_torch(a, b, cost, eps):
    K = torch.exp(-torch.as_tensor(cost) / eps)
    a, b = torch.as_tensor(a), torch.as_tensor(b)
    u, v = torch.ones_like(a), torch.ones_like(b)
    for _ in range(3000):
        u = a / (K @ v)
        v = b / (K.T @ u)
    return torch.diag(u) @ K @ torch.diag(v)


def gp_ref(critic, real, fake):
    return penalties.gradient_penalty(critic, real, fake)


def gp_student(critic, real, fake):
    alpha = torch.rand(real.shape[0], *[1] * (real.dim() - 1), dtype=real.dtype)
    x_hat = (alpha * real + (1 - alpha) * fake).detach().requires_grad_(True)
    (g,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((g.flatten(1).norm(2, dim=1) - 1) ** 2).mean()


def gp_fake_weighted(critic, real, fake):  # alpha weighting the fake sample is as uniform
    alpha = torch.rand(real.shape[0], *[1] * (real.dim() - 1))
    x_hat = real + alpha * (fake - real)
    x_hat.requires_grad_(True)
    out = critic(x_hat)
    (g,) = torch.autograd.grad(out, x_hat, grad_outputs=torch.ones_like(out), create_graph=True)
    return (g.reshape(len(g), -1).pow(2).sum(1).sqrt() - 1).pow(2).mean()


def one_sided_ref(critic, real, fake):
    return penalties.gradient_penalty(critic, real, fake, one_sided=True)


def one_sided_clamp(critic, real, fake):
    alpha = torch.rand(real.shape[0], 1)
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (g,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return (g.norm(dim=1) - 1).clamp_min(0).pow(2).mean()


def fd_float32_alphas(critic, real, fake):
    n = real.shape[0]
    a1, a2 = torch.rand(n, 1), torch.rand(n, 1)  # float32 alphas on float64 data: still correct
    x1, x2 = a1 * real + (1 - a1) * fake, a2 * real + (1 - a2) * fake
    slopes = (critic(x1) - critic(x2)).reshape(-1).abs() / (x1 - x2).flatten(1).norm(dim=1).clamp_min(1e-6)
    return ((slopes - 1) ** 2).mean()


def fd_one_call(critic, real, fake):
    n = real.shape[0]
    a = torch.rand(2 * n, 1, dtype=real.dtype)
    both = torch.cat([real, real]) * a + torch.cat([fake, fake]) * (1 - a)
    s = critic(both).reshape(-1)
    dist = (both[:n] - both[n:]).norm(dim=1).clamp_min(1e-6)
    return ((s[:n] - s[n:]).abs() / dist - 1).pow(2).mean()


def r1_ref(critic, x):
    return penalties.r1_penalty(critic, x)


def r1_student(critic, x):
    x = x.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return g.flatten(1).pow(2).sum(dim=1).mean()


def clip_ref(module, c):
    penalties.clip_weights(module, c)


def clip_data(module, c):
    norm = (nn.modules.batchnorm._BatchNorm, nn.modules.instancenorm._InstanceNorm, nn.LayerNorm, nn.GroupNorm)
    for m in module.modules():
        if not isinstance(m, norm):
            for p in m.parameters(recurse=False):
                p.data.clamp_(-c, c)


def loo_dense(real, synthetic):
    x = np.concatenate([real, synthetic])
    origin = np.r_[np.zeros(len(real)), np.ones(len(synthetic))]
    d = np.linalg.norm(x[:, None] - x[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    return float(np.mean(origin[d.argmin(1)] == origin))


def frechet_sqrtm(m1, c1, m2, c2):
    r = linalg.sqrtm(c1)
    return float(np.sum((m1 - m2) ** 2) + np.trace(c1 + c2 - 2 * linalg.sqrtm(r @ c2 @ r).real))


def frechet_eig(m1, c1, m2, c2):  # tr (c1 c2)^1/2 = sum of the square roots of the eigenvalues of c1 c2
    ev = np.linalg.eigvals(c1 @ c2).real.clip(0)
    return float(np.sum((m1 - m2) ** 2) + np.trace(c1) + np.trace(c2) - 2 * np.sqrt(ev).sum())


CORRECT = {
    "check_js_divergence": [metrics.js_divergence, js_loops, js_scipy],
    "check_wasserstein1_1d": [metrics.wasserstein1_1d, w1_scipy, w1_cdf],
    "check_sinkhorn_plan": [sinkhorn_loop, sinkhorn_torch,
                            lambda a, b, c, e: ot.sinkhorn(a, b, c, reg=e, numItermax=100_000, stopThr=1e-13)],
    "check_gradient_penalty": [gp_ref, gp_student, gp_fake_weighted],
    "check_one_sided_penalty": [one_sided_ref, one_sided_clamp],
    "check_finite_difference_penalty": [penalties.finite_difference_penalty, fd_float32_alphas, fd_one_call],
    "check_r1_penalty": [r1_ref, r1_student],
    "check_clip_weights": [clip_ref, clip_data],
    "check_loo_1nn_accuracy": [metrics.loo_1nn_accuracy, loo_dense],
    "check_gaussian_frechet": [metrics.gaussian_frechet_distance, frechet_sqrtm, frechet_eig],
}  # fmt: skip
RANDOMISED = {"check_gradient_penalty", "check_one_sided_penalty", "check_finite_difference_penalty"}


def test_every_check_has_correct_answers_listed():
    assert set(CORRECT) | {"check_conditional_models"} == {c.__name__ for c in CHECKS}


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_answers_pass_on_every_random_stream(name, capsys):
    check = getattr(exercises, name)
    seeds = range(12) if name in RANDOMISED else range(1)
    for answer in CORRECT[name]:
        for seed in seeds:  # the student's draws come from the global generators
            torch.manual_seed(seed)
            np.random.seed(seed)
            check(answer)
    assert capsys.readouterr().out.count("checks pass") == len(CORRECT[name]) * len(seeds)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_checks_leave_the_callers_random_state_alone(check):
    answer = CORRECT.get(check.__name__, [_conditional])[0]
    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(1)
    expected = (random.random(), np.random.rand(), torch.rand(3))
    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(1)

    def drawing(*args):  # a student's answer may draw from every global generator
        random.random()
        np.random.rand()
        torch.rand(1)
        return answer(*args)

    check(drawing)
    after = (random.random(), np.random.rand(), torch.rand(3))
    assert after[0] == expected[0] and after[1] == expected[1] and torch.equal(after[2], expected[2])


def test_a_failing_check_restores_the_random_state():
    torch.manual_seed(3)
    expected = torch.rand(2)
    torch.manual_seed(3)
    with pytest.raises(CheckFailed):
        exercises.check_gradient_penalty(lambda c, r, f: torch.rand(()) * 0 + 1.0 + c(r).sum() * 0)
    assert torch.equal(torch.rand(2), expected)


# --- wrong answers: each caught with a hint that names its own mistake ----------------------------


def _js(p, q, log=np.log, norm=True, half=True, both=True, mix=0.5):
    p, q = np.asarray(p, float), np.asarray(q, float)
    if norm:
        p, q = p / p.sum(), q / q.sum()
    m = mix * (p + q)

    def kl(a, b):
        keep = a > 0
        return np.sum(a[keep] * log(a[keep] / b[keep]))

    total = kl(p, m) + (kl(q, m) if both else 0.0)
    return total / 2 if half else total


def _kl_pq(p, q):  # a student who skipped the bins where p is 0
    p, q = p / p.sum(), q / q.sum()
    keep = p > 0
    return float(np.sum(p[keep] * np.log(p[keep] / q[keep])))


JS_WRONG = [
    (lambda p, q: _js(p, q, log=np.log2), "log base 2"),
    (lambda p, q: _js(p, q, log=np.log10), "log base 10"),
    (lambda p, q: _js(p, q, half=False), "twice the answer"),
    (lambda p, q: _js(p, q, norm=False), "Normalise p and q"),
    (lambda p, q: _js(p, q, both=False), "Only one KL term"),
    (lambda p, q: _js(p, q, both=False, half=False), "Only one KL term"),
    (_kl_pq, r"That is KL\(p \|\| q\)"),
    (lambda p, q: 0.5 * (_kl_pq(p, q) + _kl_pq(q, p)), "symmetrised KL"),
    (lambda p, q: _js(p, q, mix=1.0), r"not p \+ q"),
    (lambda p, q: math.sqrt(_js(p, q)), "Jensen-Shannon distance"),
    (lambda p, q: -_js(p, q), "sign is flipped"),
    (lambda p, q: metrics.total_variation(p, q), "total variation"),
    (lambda p, q: 0.5 * np.sum(p / p.sum() * np.log(p / p.sum() / ((p / p.sum() + q / q.sum()) / 2)))
     + 0.5 * np.sum(q / q.sum() * np.log(q / q.sum() / ((p / p.sum() + q / q.sum()) / 2))), "0 log 0"),
]  # fmt: skip


@pytest.mark.parametrize("wrong,hint", JS_WRONG)
def test_js_mistakes_are_named(wrong, hint):
    expect(exercises.check_js_divergence, wrong, hint)


def _sorted(x, y):
    return np.sort(x), np.sort(y)


W1_WRONG = [
    (lambda x, y: np.mean(np.abs(x - y)), "sort both samples first"),
    (lambda x, y: np.mean(np.abs(np.sort(x) - y)), "Only one sample was sorted"),
    (lambda x, y: np.mean(np.abs(np.sort(x) - np.sort(y)[::-1])), "opposite orders"),
    (lambda x, y: np.sqrt(np.mean((np.sort(x) - np.sort(y)) ** 2)), "W2"),
    (lambda x, y: np.mean((np.sort(x) - np.sort(y)) ** 2), "W2 squared"),
    (lambda x, y: np.mean(np.sort(x) - np.sort(y)), "absolute value is missing"),
    (lambda x, y: abs(np.mean(x) - np.mean(y)), "distance between the means"),
    (lambda x, y: np.sum(np.abs(np.sort(x) - np.sort(y))), "divide by n"),
    (lambda x, y: np.max(np.abs(np.sort(x) - np.sort(y))), "largest gap"),
    (lambda x, y: np.median(np.abs(np.sort(x) - np.sort(y))), "median gap"),
    (lambda x, y: stats.ks_2samp(x, y).statistic, "Kolmogorov-Smirnov"),
]


@pytest.mark.parametrize("wrong,hint", W1_WRONG)
def test_w1_mistakes_are_named(wrong, hint):
    expect(exercises.check_wasserstein1_1d, wrong, hint)


def _sk(a, b, cost, eps, kernel=None, iters=3000, assemble=None, second_transpose=True, last="v"):
    K = np.exp(-cost / eps) if kernel is None else kernel(cost, eps)
    v, u = np.ones(len(b)), np.ones(len(a))
    for _ in range(iters):
        if last == "v":
            u = a / (K @ v)
            v = b / ((K.T if second_transpose else K) @ u)
        else:
            v = b / (K.T @ u)
            u = a / (K @ v)
    return assemble(u, K, v) if assemble else u[:, None] * K * v[None, :]


SINKHORN_WRONG = [
    (lambda a, b, c, e: np.exp(-c / e), "returned K itself"),
    (lambda a, b, c, e: _sk(a, b, c, e, kernel=lambda c, e: np.exp(-c * e)), r"exp\(-eps \* cost\)"),
    (lambda a, b, c, e: _sk(a, b, c, e, kernel=lambda c, e: np.exp(-c)), "ignores eps"),
    (lambda a, b, c, e: _sk(a, b, c, e, kernel=lambda c, e: np.exp(-(c**2) / e)), "squared the cost"),
    (lambda a, b, c, e: _sk(a, b, c, e, assemble=lambda u, K, v: v[:, None] * K * u[None, :]), "swapped"),
    (lambda a, b, c, e: _sk(a, b, c, e, assemble=lambda u, K, v: K * u * v), "both scaled the columns"),
    (lambda a, b, c, e: _sk(a, b, c, e, assemble=lambda u, K, v: np.outer(u, v)), "kernel is missing"),
    (lambda a, b, c, e: _sk(a, b, c, e, iters=1), "column sums match b but its row sums are off"),
    (lambda a, b, c, e: _sk(a, b, c, e, iters=1, last="u"), "row sums match a but its column sums are off"),
    (lambda a, b, c, e: _sk(a, b, c, e, second_transpose=False), r"needs K transposed"),
    (lambda a, b, c, e: np.exp(-c / e) / np.exp(-c / e).sum(), "K normalised"),
    (lambda a, b, c, e: _sk(a, b, c, e).T, "transposed"),
    (lambda a, b, c, e: 2 * _sk(a, b, c, e), "plan times 2"),
    (lambda a, b, c, e: (np.ones(len(a)), np.ones(len(b))), r"not the pair \(u, v\)"),
]


@pytest.mark.parametrize("wrong,hint", SINKHORN_WRONG)
def test_sinkhorn_mistakes_are_named(wrong, hint):
    expect(exercises.check_sinkhorn_plan, wrong, hint)


def _gp(alpha_fn=None, norm=lambda g: g.flatten(1).norm(2, dim=1), term=lambda n: (n - 1) ** 2, reduce="mean",
        create_graph=True, scale=1.0, detach=False, points=None):  # fmt: skip
    def gp(critic, real, fake):
        if points is not None:
            x = points(real, fake)
        else:
            alpha = (alpha_fn or (lambda r: torch.rand(r.shape[0], *[1] * (r.dim() - 1))))(real)
            x = alpha * real + (1 - alpha) * fake
        x = x.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(critic(x).sum(), x, create_graph=create_graph)
        t = term(norm(g))
        out = scale * (t.mean() if reduce == "mean" else t.sum())
        return out.detach() if detach else out

    return gp


def gp_backward(critic, real, fake):
    alpha = torch.rand(real.shape[0], *[1] * (real.dim() - 1))
    x = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    critic(x).sum().backward()
    return ((x.grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


GP_WRONG = [
    (_gp(lambda r: torch.rand_like(r)), "each coordinate of a sample got its own alpha"),
    (_gp(lambda r: torch.randn(r.shape[0], *[1] * (r.dim() - 1))), "uniform distribution, torch.rand, not a normal"),
    (_gp(lambda r: torch.full((r.shape[0], *[1] * (r.dim() - 1)), 0.5)), "same alpha"),
    (_gp(points=lambda r, f: r), "evaluated at the real samples themselves"),
    (_gp(points=lambda r, f: f), "evaluated at the fake samples themselves"),
    (_gp(norm=lambda g: g.flatten(1).norm(2, dim=0)), "over dim=0"),
    (_gp(norm=lambda g: g.norm(2, dim=1)), "flatten\\(1\\)"),
    (_gp(create_graph=False), "cannot be backpropagated"),
    (_gp(detach=True), "cannot be backpropagated"),
    (gp_backward, "called backward\\(\\)"),
    (_gp(scale=10.0), "10x too large"),
    (_gp(norm=lambda g: g.flatten(1).pow(2).sum(1)), "squared norm"),
    (_gp(reduce="sum"), "sums over the batch"),
    (_gp(term=lambda n: n - 1), "square is missing"),
    (_gp(term=lambda n: (n - 1).abs()), r"mean of \|"),
    (_gp(term=lambda n: torch.relu(n - 1) ** 2), "one-sided penalty"),
    (_gp(norm=lambda g: g.flatten(1).abs().sum(1)), "L1 norm"),
    (_gp(alpha_fn=lambda r: torch.rand(r.shape[0], 1)), r"alpha needs shape \(n, 1, 1, 1\)"),
    (lambda c, r, f: _gp()(c, r, f).item(), "Python number"),
]


@pytest.mark.parametrize("wrong,hint", GP_WRONG)
def test_gradient_penalty_mistakes_are_named(wrong, hint):
    expect(exercises.check_gradient_penalty, wrong, hint)


def _one_sided(**kw):
    kw.setdefault("term", lambda n: torch.relu(n - 1) ** 2)
    kw.setdefault("norm", lambda g: g.flatten(1).norm(dim=1))
    return _gp(**kw)


ONE_SIDED_WRONG = [
    (_one_sided(term=lambda n: (n - 1) ** 2), "two-sided"),
    (_one_sided(term=lambda n: torch.relu((n - 1) ** 2)), "two-sided"),
    (_one_sided(term=lambda n: torch.relu(1 - n) ** 2), "BELOW 1"),
    (_one_sided(alpha_fn=lambda r: torch.rand_like(r)), "each coordinate of a sample got its own alpha"),
    (_one_sided(alpha_fn=lambda r: torch.randn(r.shape[0], 1)), "not a normal"),
    (_one_sided(alpha_fn=lambda r: torch.full((r.shape[0], 1), 0.3)), "same alpha"),
    (_one_sided(term=lambda n: torch.relu(n - 1)), "square is missing"),
    (_one_sided(scale=10.0), "10x too large"),
    (_one_sided(detach=True), "cannot be backpropagated"),
    (_one_sided(norm=lambda g: g.flatten(1).norm(dim=0)), "over dim=0"),
    (_one_sided(reduce="sum"), "sums over the batch"),
    (_one_sided(norm=lambda g: g.flatten(1).pow(2).sum(1)), "squared norm"),
]


@pytest.mark.parametrize("wrong,hint", ONE_SIDED_WRONG)
def test_one_sided_mistakes_are_named(wrong, hint):
    expect(exercises.check_one_sided_penalty, wrong, hint)


def _fd(alphas=None, dist=lambda d: d.flatten(1).norm(dim=1).clamp_min(1e-6), slope=lambda s, d: s.abs() / d,
        term=lambda s: (s - 1) ** 2, scale=1.0, detach=False):  # fmt: skip
    def fd(critic, real, fake):
        n = real.shape[0]
        a1, a2 = (alphas or (lambda n, r: (torch.rand(n, 1, dtype=r.dtype), torch.rand(n, 1, dtype=r.dtype))))(n, real)
        x1, x2 = a1 * real + (1 - a1) * fake, a2 * real + (1 - a2) * fake
        diff = (critic(x1) - critic(x2)).reshape(-1)
        out = scale * term(slope(diff, dist(x1 - x2))).mean()
        return out.detach() if detach else out

    return fd


FD_WRONG = [
    (_fd(term=lambda s: s), "returned the slope"),
    (_fd(slope=lambda s, d: s.abs()), "not divide by the distance"),
    (_fd(dist=lambda d: d.flatten(1).pow(2).sum(1)), "squared distance"),
    (_fd(alphas=lambda n, r: (torch.rand(n, 1, dtype=r.dtype),) * 2, dist=lambda d: d.flatten(1).norm(dim=1)),
     "same points|same alpha"),
    (_fd(alphas=lambda n, r: (torch.rand(n, 1, dtype=r.dtype),) * 2), "same points|the same alpha"),
    (_fd(slope=lambda s, d: s / d), "absolute value is missing"),
    (_fd(alphas=lambda n, r: (torch.rand(n, r.shape[1], dtype=r.dtype), torch.rand(n, r.shape[1], dtype=r.dtype))),
     "each coordinate of a sample got its own alpha"),
    (_fd(alphas=lambda n, r: (torch.randn(n, 1, dtype=r.dtype), torch.randn(n, 1, dtype=r.dtype))), "not a normal"),
    (_fd(alphas=lambda n, r: (torch.ones(n, 1, dtype=r.dtype), torch.zeros(n, 1, dtype=r.dtype))),
     "real samples themselves"),
    (_fd(term=lambda s: s - 1), "square is missing"),
    (_fd(term=lambda s: torch.relu(s - 1) ** 2), "one-sided form"),
    (_fd(scale=10.0), "10x too large"),
    (_fd(detach=True), "does not depend on the critic's weights"),
]  # fmt: skip


@pytest.mark.parametrize("wrong,hint", FD_WRONG)
def test_finite_difference_mistakes_are_named(wrong, hint):
    expect(exercises.check_finite_difference_penalty, wrong, hint)


def _r1(norm=lambda g: g.flatten(1).pow(2).sum(1), create_graph=True, detach=False, scale=1.0, reduce="mean"):
    def r1(critic, x):
        x = x.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(critic(x).sum(), x, create_graph=create_graph)
        t = norm(g)
        out = scale * (t.mean() if reduce == "mean" else t.sum())
        return out.detach() if detach else out

    return r1


def r1_backward(critic, x):
    x = x.detach().requires_grad_(True)
    critic(x).sum().backward()
    return x.grad.flatten(1).pow(2).sum(1).mean()


R1_WRONG = [
    (_r1(norm=lambda g: g.flatten(1).norm(dim=1)), "norm, not its square"),
    (_r1(create_graph=False), "create_graph=True"),
    (_r1(detach=True), "create_graph=True"),
    (lambda c, x: _r1()(c, x).item(), "Python number"),
    (r1_backward, "called backward\\(\\)"),
    (_r1(scale=0.5), "no 1/2"),
    (_r1(scale=10.0), "10x too large"),
    (_r1(norm=lambda g: (g.flatten(1).norm(dim=1) - 1) ** 2), "zero-centred"),
    (_r1(reduce="sum"), "sums over the batch"),
    (_r1(norm=lambda g: g.flatten(1).norm(dim=0) ** 2), "over dim=0"),
    (_r1(norm=lambda g: g.flatten(1).sum(1) ** 2), r"sum of the gradient's entries"),
    (_r1(norm=lambda g: g.pow(2).sum(1)), "flatten\\(1\\)"),
]


@pytest.mark.parametrize("wrong,hint", R1_WRONG)
def test_r1_mistakes_are_named(wrong, hint):
    expect(exercises.check_r1_penalty, wrong, hint)


def _clip(fn, skip=(nn.modules.batchnorm._BatchNorm, nn.modules.instancenorm._InstanceNorm, nn.LayerNorm,
                    nn.GroupNorm), walk="modules", only=None, names=("weight", "bias")):  # fmt: skip
    def clip(module, c):
        layers = module.modules() if walk == "modules" else module.children()
        with torch.no_grad():
            for m in layers:
                if isinstance(m, skip) or (only is not None and not isinstance(m, only)):
                    continue
                for pname, p in m.named_parameters(recurse=False):
                    if pname in names:
                        p.copy_(fn(p, c))

    return clip


def clip_rebind(module, c):
    for p in module.parameters():
        p = p.clamp(-c, c)  # noqa: PLW2901 (the mistake under test)


def clip_gradients(module, c):
    for p in module.parameters():
        p.grad = torch.zeros_like(p)
    torch.nn.utils.clip_grad_value_(module.parameters(), c)


CLIP_WRONG = [
    (_clip(lambda p, c: p.clamp(-c, c), skip=()), "LayerNorm"),
    (_clip(lambda p, c: p.clamp(-c, c), skip=(nn.LayerNorm,)), "BatchNorm2d, InstanceNorm2d, GroupNorm"),
    (_clip(lambda p, c: c * torch.sign(p)), "clamp, do not replace"),
    (_clip(lambda p, c: p.clamp(0, c)), r"not \[0, c\]"),
    (_clip(lambda p, c: p.clamp(-c / 2, c / 2)), "not c / 2"),
    (_clip(lambda p, c: p * c / p.abs().max()), "rescaled"),
    (_clip(lambda p, c: c * torch.tanh(p / c)), "tanh"),
    (_clip(lambda p, c: p.clamp(-c, c), only=nn.Linear), "Convolutions were not clipped"),
    (_clip(lambda p, c: p.clamp(-c, c), walk="children"), "nested nn.Sequential"),
    (_clip(lambda p, c: p.clamp(-c, c), names=("weight",)), "biases were not clipped"),
    (_clip(lambda p, c: torch.clamp(p, min=c, max=-c)), "bounds are swapped"),
    (clip_rebind, "nothing was clipped"),
    (clip_gradients, "nothing was clipped"),
    (lambda m, c: copy.deepcopy(m).apply(lambda x: None), "nothing was clipped"),
]


@pytest.mark.parametrize("wrong,hint", CLIP_WRONG)
def test_clip_mistakes_are_named(wrong, hint):
    expect(exercises.check_clip_weights, wrong, hint)


def _loo(**kw):
    return lambda a, b: exercises._loo_variants()[next(k for k in exercises._loo_variants() if kw["key"] in k)](a, b)


LOO_WRONG = [
    (lambda a, b: _loo_self(a, b), "its own nearest neighbour"),
    (lambda a, b: 1 - loo_dense(a, b), "1 minus the answer"),
    (lambda a, b: loo_dense(a, b) * (len(a) + len(b)), "That is a count"),
    (lambda a, b: 100 * loo_dense(a, b), "percentage"),
    (_loo(key="Only the real points"), "Only the real points"),
    (_loo(key="Only the synthetic points"), "Only the synthetic points"),
    (_loo(key="averages the two"), "averages the two samples' accuracies"),
    (_loo(key="Manhattan"), "Manhattan"),
    (_loo(key="vote of 3"), "vote of 3"),
    (_loo(key="predicted wrong"), "whole pool"),
]


def _loo_self(real, synthetic):
    x = np.concatenate([real, synthetic])
    origin = np.r_[np.zeros(len(real)), np.ones(len(synthetic))]
    d = np.linalg.norm(x[:, None] - x[None], axis=-1)
    return float(np.mean(origin[d.argmin(1)] == origin))  # each point is its own neighbour


@pytest.mark.parametrize("wrong,hint", LOO_WRONG)
def test_loo_mistakes_are_named(wrong, hint):
    expect(exercises.check_loo_1nn_accuracy, wrong, hint)


def _good_frechet(m1, c1, m2, c2):
    return metrics.gaussian_frechet_distance(m1, c1, m2, c2)


def _cross(c1, c2):
    r = linalg.sqrtm(c1).real
    return np.trace(linalg.sqrtm(r @ c2 @ r).real)


FRECHET_WRONG = [
    (lambda m1, c1, m2, c2: _good_frechet(m1, c1, m2, c2) - np.sum((m1 - m2) ** 2), "mean term"),
    (lambda m1, c1, m2, c2: np.sqrt(_good_frechet(m1, c1, m2, c2)), "no square root"),
    (lambda m1, c1, m2, c2: float(np.sum((m1 - m2) ** 2) + np.trace(c1) + np.trace(c2)
                                  - 2 * np.trace(linalg.sqrtm(c1).real @ linalg.sqrtm(c2).real)), "commute"),
    (lambda m1, c1, m2, c2: float(np.sum((m1 - m2) ** 2) + np.trace(c1) + np.trace(c2) - _cross(c1, c2)), "factor 2"),
    (lambda m1, c1, m2, c2: float(np.sum((m1 - m2) ** 2) + np.trace(c1) + np.trace(c2) + 2 * _cross(c1, c2)),
     "minus sign"),
    (lambda m1, c1, m2, c2: float(np.linalg.norm(m1 - m2) + np.trace(c1) + np.trace(c2) - 2 * _cross(c1, c2)),
     "SQUARED distance"),
    (lambda m1, c1, m2, c2: float(np.sum((m1 - m2) ** 2) + np.trace(c1) + np.trace(c2) - 2 * np.trace(c1 @ c2)),
     "matrix square root: tr"),
    (lambda m1, c1, m2, c2: float(np.sum((m1 - m2) ** 2) + np.trace(c1) - 2 * _cross(c1, c2)), r"tr\(cov2\) is missing"),
    (lambda m1, c1, m2, c2: float(np.sum((m1 - m2) ** 2) + np.sum((np.sqrt(np.diag(c1)) - np.sqrt(np.diag(c2))) ** 2)),
     "diagonals"),
    (lambda m1, c1, m2, c2: exercises._frechet_entrywise(m1, c1, m2, c2), "each entry"),
]  # fmt: skip


@pytest.mark.parametrize("wrong,hint", FRECHET_WRONG)
def test_frechet_mistakes_are_named(wrong, hint):
    expect(exercises.check_gaussian_frechet, wrong, hint)


def _conditional(latent_dim, n_classes, *, use_labels=True, critic_labels=True, batch_norm=False, tanh=True,
                 flat=False, scores=1, batch_mean=False, use_x=True, use_z=True):  # fmt: skip
    class G(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(n_classes, 8)
            self.net = nn.Sequential(nn.Linear(latent_dim + 8, 32), nn.ReLU(), nn.Linear(32, 64),
                                     nn.Tanh() if tanh else nn.Identity())  # fmt: skip

        def forward(self, z, y):
            e = self.embed(y) * (1.0 if use_labels else 0.0)
            out = self.net(torch.cat([z * (1.0 if use_z else 0.0), e], 1))
            return out * (1.0 if tanh else 5.0) if flat else (out * (1.0 if tanh else 5.0)).view(-1, 1, 8, 8)

    class C(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), *([nn.BatchNorm1d(32)] if batch_norm else []),
                                      nn.LeakyReLU(0.2))  # fmt: skip
            self.out = nn.Linear(32, scores)
            self.embed = nn.Embedding(n_classes, 32)

        def forward(self, x, y):
            h = self.body(x * (1.0 if use_x else 0.0))
            extra = (self.embed(y) * h).sum(1, keepdim=True) if critic_labels else 0.0
            s = self.out(h) + extra
            return s - s.mean() if batch_mean else s

    return G(), C()


CONDITIONAL_WRONG = [
    (dict(use_labels=False), "generator ignores its labels"),
    (dict(critic_labels=False), "critic ignores its labels"),
    (dict(batch_norm=True), "BatchNorm"),
    (dict(tanh=False), "end it with tanh"),
    (dict(flat=True), r"images of shape \(6, 1, 8, 8\)"),
    (dict(scores=10), "one score per image"),
    (dict(batch_mean=True), "depends on the other images"),
    (dict(use_x=False), "does not depend on the image x|ignores its labels"),
    (dict(use_z=False), "ignores its noise z"),
]


@pytest.mark.parametrize("kw,hint", CONDITIONAL_WRONG)
def test_conditional_model_mistakes_are_named(kw, hint):
    expect(exercises.check_conditional_models, lambda d, k: _conditional(d, k, **kw), hint)


def test_conditional_models_check_accepts_and_names_a_missing_pair(capsys):
    exercises.check_conditional_models(_conditional)
    assert "checks pass" in capsys.readouterr().out
    expect(exercises.check_conditional_models, lambda d, k: _conditional(d, k)[0], "pair")


@pytest.mark.parametrize("check,wrong_answers", [
    (exercises.check_gradient_penalty, GP_WRONG), (exercises.check_one_sided_penalty, ONE_SIDED_WRONG),
    (exercises.check_finite_difference_penalty, FD_WRONG), (exercises.check_r1_penalty, R1_WRONG),
], ids=["gradient_penalty", "one_sided", "finite_difference", "r1"])  # fmt: skip
def test_randomised_wrong_answers_are_named_on_every_stream(check, wrong_answers):
    # e.g. the one-sided penalty passed check_gradient_penalty on streams where every norm exceeded 1
    for seed in range(5):
        for wrong, hint in wrong_answers:
            torch.manual_seed(seed)
            expect(check, wrong, hint)
