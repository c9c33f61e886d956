import pytest
import torch
from torch import nn

from wganlib import models, penalties


def linear_critic(w):
    lin = nn.Linear(len(w), 1)
    with torch.no_grad():
        lin.weight.copy_(torch.as_tensor(w, dtype=torch.float32).reshape(1, -1))
        lin.bias.fill_(0.3)
    return lin


def pair(n=64, d=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g), torch.randn(n, d, generator=g) + 2.0


def test_interpolates_follow_the_paper_alpha_weights_the_real_sample():
    # Gulrajani et al. 2017, algorithm 1: x_hat = eps * x + (1 - eps) * x_tilde, x real
    real, fake = pair(n=4)
    ones, zeros = torch.ones(4, 1), torch.zeros(4, 1)
    assert torch.equal(penalties.interpolates(real, fake, ones), real)
    assert torch.equal(penalties.interpolates(real, fake, zeros), fake)
    alpha = torch.tensor([0.1, 0.25, 0.5, 0.9])
    want = alpha[:, None] * real + (1 - alpha[:, None]) * fake
    assert torch.allclose(penalties.interpolates(real, fake, alpha), want, atol=1e-6)
    # image-shaped samples get one alpha per image
    img_r, img_f = torch.zeros(3, 1, 2, 2), torch.ones(3, 1, 2, 2)
    out = penalties.interpolates(img_r, img_f, torch.tensor([1.0, 0.25, 0.0]))
    assert torch.equal(out[:, 0, 0, 0], torch.tensor([0.0, 0.75, 1.0])) and out.shape == img_r.shape
    # drawn alphas lie on the segment, one per sample, from the given generator
    a = penalties.interpolates(real, fake, generator=torch.Generator().manual_seed(1))
    b = penalties.interpolates(real, fake, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a, b)
    t = (a - fake) / (real - fake)  # the weight of the real sample, per coordinate
    assert torch.allclose(t, t[:, :1].expand_as(t), atol=1e-5) and (t >= 0).all() and (t <= 1).all()


def test_penalties_return_a_tensor_or_one_named_tuple():
    real, fake = pair()
    critic = linear_critic([0.3, 0.4, 0.0])
    calls = {
        "gradient_penalty": lambda **kw: penalties.gradient_penalty(critic, real, fake, **kw),
        "r1_penalty": lambda **kw: penalties.r1_penalty(critic, real, **kw),
        "finite_difference_penalty": lambda **kw: penalties.finite_difference_penalty(critic, real, fake, **kw),
    }
    for name, call in calls.items():
        plain = call()
        assert isinstance(plain, torch.Tensor) and plain.dim() == 0, name
        both = call(return_norms=True)
        assert isinstance(both, penalties.Penalty), name
        assert both.penalty.dim() == 0 and both.norms.shape == (64,) and not both.norms.requires_grad, name
        if name == "finite_difference_penalty":  # slopes along the segments: at most |w| = 0.5
            assert (both.norms <= 0.5 + 1e-5).all() and (both.norms > 0).all()
        else:  # |grad| = |w| = 0.5 everywhere
            assert torch.allclose(both.norms, torch.full((64,), 0.5), atol=1e-5), name
        penalty, norms = both  # unpacks like a tuple
        assert penalty is both.penalty and norms is both.norms
    with pytest.raises(TypeError, match="return_slopes"):
        penalties.finite_difference_penalty(critic, real, fake, return_slopes=True)


def test_penalty_is_zero_for_a_linear_critic_with_unit_weight():
    real, fake = pair()
    assert penalties.gradient_penalty(linear_critic([0.6, 0.8, 0.0]), real, fake).item() == pytest.approx(
        0, abs=1e-10
    )


def test_penalty_matches_a_per_sample_reference():
    torch.manual_seed(0)
    critic = models.mlp_critic(3, hidden=16, depth=2).double()
    real, fake = (t.double() for t in pair(n=20))
    alpha = torch.rand(20, 1, dtype=torch.float64)
    got = penalties.gradient_penalty(critic, real, fake, alpha=alpha)
    # reference: one sample at a time, so nothing can mix samples
    terms = []
    for i in range(20):
        x = (alpha[i] * real[i] + (1 - alpha[i]) * fake[i]).reshape(1, 3).requires_grad_(True)
        (g,) = torch.autograd.grad(critic(x).sum(), x)
        terms.append((g.norm() - 1) ** 2)
    assert torch.allclose(got, torch.stack(terms).mean(), rtol=1e-10)
    # and the published code's formula, which weights the real sample by alpha as we do
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (grads,) = torch.autograd.grad(critic(x_hat).sum(), x_hat)
    assert torch.allclose(got, ((grads.norm(2, dim=1) - 1) ** 2).mean(), rtol=1e-10)


def test_one_sided_and_centre():
    real, fake = pair()
    small = linear_critic([0.3, 0.4, 0.0])  # norm 0.5 everywhere
    assert penalties.gradient_penalty(small, real, fake, one_sided=True).item() == 0.0
    assert penalties.gradient_penalty(small, real, fake).item() == pytest.approx(0.25, rel=1e-5)
    assert penalties.gradient_penalty(small, real, fake, centre=0.0).item() == pytest.approx(0.25, rel=1e-5)
    big = linear_critic([3.0, 4.0, 0.0])  # norm 5
    assert penalties.gradient_penalty(big, real, fake, one_sided=True).item() == pytest.approx(16.0, rel=1e-5)
    assert penalties.gradient_penalty(big, real, fake, centre=0.0).item() == pytest.approx(25.0, rel=1e-5)
    assert penalties.gradient_penalty(big, real, fake, centre=2.0, one_sided=True).item() == pytest.approx(9.0, rel=1e-5)


def test_constant_critic_gives_a_finite_differentiable_penalty():
    critic = linear_critic([0.0, 0.0, 0.0])  # gradient exactly zero
    real, fake = pair()
    pen = penalties.gradient_penalty(critic, real, fake)
    assert pen.item() == pytest.approx(1.0)
    pen.backward()
    assert torch.isfinite(critic.weight.grad).all()
    # a critic that ignores its input entirely
    const = lambda x: torch.zeros(x.shape[0], 1) + 2.0  # noqa: E731
    assert penalties.gradient_penalty(const, real, fake).item() == pytest.approx(1.0)


def test_penalty_trains_the_critic():
    critic = linear_critic([3.0, 0.0, 0.0])
    real, fake = pair()
    penalties.gradient_penalty(critic, real, fake).backward()
    # d/dw (|w| - 1)^2 = 2 (|w| - 1) w / |w| = (4, 0, 0)
    assert torch.allclose(critic.weight.grad, torch.tensor([[4.0, 0.0, 0.0]]), atol=1e-5)


def test_r1_is_the_squared_weight_norm_for_a_linear_critic():
    real, _ = pair()
    assert penalties.r1_penalty(linear_critic([1.0, 2.0, 2.0]), real).item() == pytest.approx(9.0)


def test_finite_difference_penalty():
    # f(x) = x^2 / 2 in 1-D: the slope between x1 and x2 is |x1 + x2| / 2
    f = lambda x: 0.5 * x.pow(2)  # noqa: E731
    real, fake = torch.zeros(2000, 1), torch.full((2000, 1), 2.0)
    pen, slopes = penalties.finite_difference_penalty(
        f, real, fake, generator=torch.Generator().manual_seed(0), return_norms=True
    )
    # x1, x2 ~ U[0, 2]: slope (x1 + x2) / 2 has mean 1, and E[(slope - 1)^2] = Var = 1/6
    assert slopes.mean().item() == pytest.approx(1.0, abs=0.03)
    assert pen.item() == pytest.approx(1 / 6, rel=0.08)
    # a linear critic with unit weight along the segments: no penalty, and no double backward needed
    real, fake = pair(d=2)
    fake = real + torch.tensor([[0.6, 0.8]]) * 2.0
    assert penalties.finite_difference_penalty(linear_critic([0.6, 0.8]), real, fake).item() == pytest.approx(
        0, abs=1e-8
    )


def test_batchnorm_critic_is_refused_with_advice():
    critic = models.mlp_critic(3, hidden=8, depth=2, norm="batch")
    real, fake = pair()
    with pytest.raises(ValueError, match="BatchNorm.*norm='layer'"):
        penalties.gradient_penalty(critic, real, fake)
    with pytest.raises(ValueError, match="BatchNorm"):
        penalties.r1_penalty(critic, real)
    ln = models.mlp_critic(3, hidden=8, depth=2, norm="layer")
    assert torch.isfinite(penalties.gradient_penalty(ln, real, fake))


def test_bad_shapes_are_clear():
    real, fake = pair()
    with pytest.raises(ValueError, match=r"same shape.*\(64, 3\) and \(10, 3\)"):
        penalties.gradient_penalty(linear_critic([1, 0, 0]), real, fake[:10])
    with pytest.raises(ValueError, match="one weight per sample"):
        penalties.gradient_penalty(linear_critic([1, 0, 0]), real, fake, alpha=torch.rand(64, 3))
    with pytest.raises(ValueError, match="one weight per sample"):
        penalties.interpolates(real, fake, torch.tensor(0.5))
    with pytest.raises(TypeError, match="alpha must be a torch.Tensor"):
        penalties.interpolates(real, fake, 0.5)
    with pytest.raises(ValueError, match="one score per sample"):
        penalties.gradient_penalty(nn.Linear(3, 2), real, fake)


def test_clip_weights_clips_layers_but_not_normalisation():
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Linear(2, 8), nn.LayerNorm(8), nn.ReLU(), nn.Linear(8, 8), nn.BatchNorm1d(8), nn.Linear(8, 1)
    )
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(50)
    norm_before = [p.clone() for m in (net[1], net[4]) for p in m.parameters()]
    n = penalties.clip_weights(net, 0.01)
    assert n == 6  # weight and bias of three linear layers
    for i in (0, 3, 5):
        for p in net[i].parameters():
            assert p.abs().max() <= 0.01
    norm_after = [p for m in (net[1], net[4]) for p in m.parameters()]
    assert all(torch.equal(a, b) for a, b in zip(norm_before, norm_after, strict=False))
    with pytest.raises(ValueError, match="must be positive"):
        penalties.clip_weights(net, 0)


def test_clip_weights_reaches_spectrally_normalised_layers():
    c = models.mlp_critic(2, hidden=8, depth=1, spectral_norm=True)
    penalties.clip_weights(c, 0.001)
    for name, p in c.named_parameters():
        assert p.abs().max() <= 0.001, name


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_penalties_on_the_gpu():
    critic = models.mlp_critic(3, hidden=8).cuda()
    real, fake = (t.cuda() for t in pair())
    assert penalties.gradient_penalty(critic, real, fake).device.type == "cuda"
    assert penalties.finite_difference_penalty(critic, real, fake).device.type == "cuda"


def test_gradient_norms_of_images_run_over_every_entry_of_a_sample():
    # f(x) = sum(w * x) over an image: the gradient is w, its norm over all C*H*W entries is ||w||
    w = torch.arange(1.0, 13.0).reshape(1, 3, 2, 2)
    critic = lambda x: (x * w).flatten(1).sum(1, keepdim=True)  # noqa: E731
    x = torch.randn(5, 3, 2, 2, generator=torch.Generator().manual_seed(0))
    norms = penalties.gradient_norms(critic, x)
    assert torch.allclose(norms, torch.full((5,), w.norm().item()), rtol=1e-6)
    real, fake = x, x + 1.0
    assert penalties.gradient_penalty(critic, real, fake).item() == pytest.approx((w.norm().item() - 1) ** 2)
    assert penalties.r1_penalty(critic, x).item() == pytest.approx(w.pow(2).sum().item(), rel=1e-6)


# ---- tests written from the mutmut run of 2026-12-01 (surviving mutants of penalties.py and losses.py)


def test_gradient_norms_are_detached_by_default_and_zero_for_a_critic_that_ignores_x():
    real, _ = pair(n=5, d=3)
    norms = penalties.gradient_norms(linear_critic([1.0, 0.0, 0.0]), real)
    assert not norms.requires_grad  # create_graph=False by default: no graph kept
    assert penalties.gradient_norms(linear_critic([1.0, 0.0, 0.0]), real, create_graph=True).requires_grad
    bias = nn.Parameter(torch.tensor(1.0))

    def ignores_x(x):
        return bias.expand(x.shape[0], 1)

    for x in (real, torch.rand(4, 1, 3, 3, dtype=torch.float64)):
        zero = penalties.gradient_norms(ignores_x, x)
        assert zero.shape == (x.shape[0],) and zero.dtype == x.dtype and torch.all(zero == 0)


def test_a_generator_makes_the_penalties_reproducible_whatever_the_global_state():
    real, fake = pair(n=32, d=3)
    critic = models.mlp_critic(3, hidden=8, depth=1)
    for fn in (penalties.gradient_penalty, penalties.finite_difference_penalty):
        values = []
        for global_seed in (1, 2):
            torch.manual_seed(global_seed)  # the global stream differs; the penalty must not
            values.append(fn(critic, real, fake, generator=torch.Generator().manual_seed(5)).item())
        assert values[0] == values[1], fn.__name__


def test_one_sided_finite_difference_penalty_charges_only_slopes_above_one():
    real, fake = pair(n=64, d=3)
    flat = penalties.finite_difference_penalty(linear_critic([0.5, 0.0, 0.0]), real, fake, one_sided=True)
    steep = penalties.finite_difference_penalty(linear_critic([2.0, 0.0, 0.0]), real, fake, one_sided=True)
    assert flat.item() == 0.0
    assert steep.item() > 0.0


def test_losses_accept_a_batch_of_one():
    from wganlib import losses

    one = torch.tensor([[0.3]])
    assert losses.wgan_critic_loss(one, one).item() == 0.0
    assert torch.isfinite(losses.hinge_critic_loss(one, one))


def test_penalties_stay_on_the_datas_device():
    """PyTorch's meta device stands in for a GPU on a CPU-only machine: a weight or zero made on the CPU
    by mistake meets meta tensors and fails, as it would meet CUDA tensors."""
    critic = models.mlp_critic(2, hidden=8, depth=2).to("meta")
    real, fake = torch.randn(6, 2, device="meta"), torch.randn(6, 2, device="meta")
    for value in (
        penalties.gradient_penalty(critic, real, fake),
        penalties.gradient_penalty(critic, real, fake, one_sided=True),
        penalties.finite_difference_penalty(critic, real, fake),
        penalties.r1_penalty(critic, real),
    ):
        assert value.device == torch.device("meta")
    assert penalties.interpolates(real, fake).device == torch.device("meta")

    class IgnoresInput(nn.Module):  # zero gradient: the early return builds its zeros
        def __init__(self):
            super().__init__()
            self.b = nn.Parameter(torch.zeros(1, device="meta"))

        def forward(self, x):
            return self.b.expand(x.shape[0], 1)

    norms = penalties.gradient_norms(IgnoresInput(), real.half())
    assert (norms.shape, norms.device, norms.dtype) == ((6,), torch.device("meta"), torch.float16)
