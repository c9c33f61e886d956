import math

import pytest
import torch
import torch.nn.functional as F

from wganlib import losses


def test_gan_losses_match_binary_cross_entropy():
    g = torch.Generator().manual_seed(0)
    r, f = torch.randn(64, 1, generator=g) * 3, torch.randn(64, generator=g) * 3
    bce = F.binary_cross_entropy_with_logits
    want = bce(r.reshape(-1), torch.ones(64)) + bce(f, torch.zeros(64))
    assert torch.allclose(losses.gan_discriminator_loss(r, f), want, atol=1e-6)
    # saturating: mean log(1 - D); non-saturating: -mean log D
    d = torch.sigmoid(f.double())
    assert torch.allclose(losses.gan_generator_loss(f.double(), saturating=True), torch.log1p(-d).mean())
    assert torch.allclose(losses.gan_generator_loss(f.double()), -torch.log(d).mean())


def test_gan_losses_do_not_overflow_for_confident_discriminators():
    f = torch.tensor([-200.0, 200.0])  # naive -log(sigmoid(-200)) is inf in float32
    assert torch.isfinite(losses.gan_generator_loss(f))
    assert math.isclose(losses.gan_generator_loss(f).item(), 100.0, rel_tol=1e-5)
    assert torch.isfinite(losses.gan_discriminator_loss(f, f))


def test_wgan_sign_convention():
    real, fake = torch.tensor([3.0, 5.0]), torch.tensor([[1.0], [1.0]])
    assert losses.wgan_critic_loss(real, fake).item() == -3.0  # negative when real scores high
    assert losses.wasserstein_estimate(real, fake).item() == 3.0
    assert losses.wgan_generator_loss(fake).item() == -1.0


def test_hinge_margins():
    real, fake = torch.tensor([2.0, 0.0]), torch.tensor([-2.0, 0.5])
    # relu(1 - 2) = 0, relu(1 - 0) = 1; relu(1 - 2) = 0, relu(1 + 0.5) = 1.5
    assert losses.hinge_critic_loss(real, fake).item() == pytest.approx(0.5 + 0.75)
    assert losses.hinge_generator_loss(fake).item() == pytest.approx(0.75)


def test_shape_errors_are_clear():
    with pytest.raises(ValueError, match=r"one score per sample, shape \(n,\) or \(n, 1\); got \(4, 2\)"):
        losses.wgan_critic_loss(torch.zeros(4, 2), torch.zeros(4))
    with pytest.raises(TypeError, match="must be a torch.Tensor"):
        losses.wgan_generator_loss([1.0, 2.0])
