import numpy as np
import pytest
import torch

from wganlib import exercises, metrics, penalties
from wganlib.exercises import CheckFailed


def stub(*args):
    raise NotImplementedError()


@pytest.mark.parametrize(
    "check", [getattr(exercises, n) for n in exercises.__all__ if n.startswith("check_")]
)
def test_stubs_are_told_what_to_implement(check):
    with pytest.raises(
        CheckFailed, match="is not implemented yet: replace `raise NotImplementedError\\(\\)`"
    ):
        check(stub)


def test_reference_answers_pass_quietly(capsys):
    exercises.check_js_divergence(metrics.js_divergence)
    exercises.check_wasserstein1_1d(metrics.wasserstein1_1d)
    exercises.check_gradient_penalty(penalties.gradient_penalty)
    exercises.check_r1_penalty(penalties.r1_penalty)
    exercises.check_clip_weights(penalties.clip_weights)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 5 and all("checks pass" in line for line in lines)


def test_js_mistakes_are_diagnosed():
    with pytest.raises(CheckFailed, match="log base 2"):
        exercises.check_js_divergence(lambda p, q: metrics.js_divergence(p, q) / np.log(2))
    with pytest.raises(CheckFailed, match="0 log 0"), np.errstate(all="ignore"):

        def naive(p, q):
            p, q = p / p.sum(), q / q.sum()
            m = (p + q) / 2
            return 0.5 * np.sum(p * np.log(p / m)) + 0.5 * np.sum(q * np.log(q / m))

        exercises.check_js_divergence(naive)


def test_w1_mistakes_are_diagnosed():
    with pytest.raises(CheckFailed, match="sort both samples first"):
        exercises.check_wasserstein1_1d(lambda x, y: np.mean(np.abs(x - y)))
    with pytest.raises(CheckFailed, match="W2"):
        exercises.check_wasserstein1_1d(lambda x, y: np.sqrt(np.mean((np.sort(x) - np.sort(y)) ** 2)))


def _gp(alpha_fn, norm_dim=1, detach=False):
    def gp(critic, real, fake):
        alpha = alpha_fn(real)
        x = real + alpha * (fake - real)
        x = x.detach().requires_grad_(True) if not detach else x.detach()
        if detach:
            with torch.no_grad():
                out = critic(x)
            g = torch.ones_like(x)
            return ((g.norm(dim=norm_dim) - 1) ** 2).mean() + 0 * out.sum()
        (g,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
        return ((g.norm(2, dim=norm_dim) - 1) ** 2).mean()

    return gp


@pytest.mark.parametrize(
    "wrong,message",
    [
        (_gp(lambda r: torch.rand_like(r)), "each coordinate of a sample got its own alpha"),
        (_gp(lambda r: torch.randn(r.shape[0], 1)), "uniform distribution, torch.rand, not a normal"),
        (_gp(lambda r: torch.rand(r.shape[0], 1), norm_dim=0), "over dim=0"),
        (_gp(lambda r: torch.full((r.shape[0], 1), 0.5)), "same alpha"),
        (_gp(lambda r: torch.rand(r.shape[0], 1), detach=True), "cannot be backpropagated|expected"),
    ],
)
def test_gradient_penalty_mistakes_are_diagnosed(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        exercises.check_gradient_penalty(wrong)


def test_clip_mistakes_are_diagnosed():
    def clip_all(module, c):
        for p in module.parameters():
            p.data.clamp_(-c, c)

    with pytest.raises(CheckFailed, match="LayerNorm"):
        exercises.check_clip_weights(clip_all)

    def sign(module, c):
        for p in module.parameters():
            if p.dim() == 2:
                p.data = c * torch.sign(p.data)

    with pytest.raises(CheckFailed, match="clamp, do not replace"):
        exercises.check_clip_weights(sign)


def _good_frechet(m1, c1, m2, c2):
    return metrics.gaussian_frechet_distance(m1, c1, m2, c2)


def test_gaussian_frechet_check_accepts_and_diagnoses(capsys):
    from scipy import linalg

    exercises.check_gaussian_frechet(_good_frechet)

    def via_sqrtm(m1, c1, m2, c2):  # a correct alternative
        r = linalg.sqrtm(c1)
        return float(np.sum((m1 - m2) ** 2) + np.trace(c1 + c2 - 2 * linalg.sqrtm(r @ c2 @ r).real))

    exercises.check_gaussian_frechet(via_sqrtm)
    assert capsys.readouterr().out.count("checks pass") == 2
    wrong = {
        "mean term": lambda m1, c1, m2, c2: _good_frechet(m1, c1, m2, c2) - np.sum((m1 - m2) ** 2),
        "no square root": lambda m1, c1, m2, c2: np.sqrt(_good_frechet(m1, c1, m2, c2)),
        "commute": lambda m1, c1, m2, c2: float(
            np.sum((m1 - m2) ** 2) + np.trace(c1) + np.trace(c2)
            - 2 * np.trace(linalg.sqrtm(c1).real @ linalg.sqrtm(c2).real)
        ),
        "factor 2": lambda m1, c1, m2, c2: float(
            np.sum((m1 - m2) ** 2) + np.trace(c1) + np.trace(c2) - np.trace(linalg.sqrtm(c1 @ c2).real)
        ),
    }
    for hint, fn in wrong.items():
        with pytest.raises(CheckFailed, match=hint):
            exercises.check_gaussian_frechet(fn)


def _conditional(latent_dim, n_classes, *, use_labels=True, batch_norm=False):
    from torch import nn

    class G(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(n_classes, 8)
            self.net = nn.Sequential(nn.Linear(latent_dim + 8, 32), nn.ReLU(), nn.Linear(32, 64), nn.Tanh())

        def forward(self, z, y):
            e = self.embed(y) * (1.0 if use_labels else 0.0)
            return self.net(torch.cat([z, e], 1)).view(-1, 1, 8, 8)

    class C(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), *( [nn.BatchNorm1d(32)] if batch_norm else []),
                                      nn.LeakyReLU(0.2))  # fmt: skip
            self.out = nn.Linear(32, 1)
            self.embed = nn.Embedding(n_classes, 32)

        def forward(self, x, y):
            h = self.body(x)
            extra = (self.embed(y) * h).sum(1, keepdim=True) if use_labels else 0.0
            return self.out(h) + extra

    return G(), C()


def test_conditional_models_check(capsys):
    exercises.check_conditional_models(_conditional)
    assert "checks pass" in capsys.readouterr().out
    with pytest.raises(CheckFailed, match="ignores its labels"):
        exercises.check_conditional_models(lambda d, k: _conditional(d, k, use_labels=False))
    with pytest.raises(CheckFailed, match="BatchNorm"):
        exercises.check_conditional_models(lambda d, k: _conditional(d, k, batch_norm=True))
    with pytest.raises(CheckFailed, match="pair"):
        exercises.check_conditional_models(lambda d, k: _conditional(d, k)[0])
    before = torch.random.get_rng_state()
    exercises.check_conditional_models(_conditional)
    assert torch.equal(before, torch.random.get_rng_state())  # the check leaves the global state alone
