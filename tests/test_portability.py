"""The library on a device without float64 (Apple's MPS), simulated on the CPU (tests/conftest.py)."""

import pytest
import torch

import wganlib
from wganlib import data, models, penalties


def test_the_simulation_catches_float64(no_float64_device):
    with pytest.raises(AssertionError, match="float64"):
        torch.zeros(2, dtype=torch.float64)
    with pytest.raises(AssertionError, match="float64"):
        torch.ones(2).double()
    torch.zeros(2)  # float32 is fine


def test_sampling_never_makes_float64(no_float64_device):
    g = torch.Generator().manual_seed(0)
    for name in data.DATASETS:
        x = data.sample(name, 64, generator=g, device=no_float64_device)
        assert x.dtype == torch.float32 and x.shape == (64, 2)
        x = data.sample(name, 64, device=no_float64_device)  # the global generator
        assert x.dtype == torch.float32
    assert data.centres("25gaussians", device=no_float64_device).shape == (25, 2)
    assert data.parallel_lines(10, 0.5, generator=g).dtype == torch.float32
    assert data.gaussian_1d(10, 1.0, 2.0, device=no_float64_device).dtype == torch.float32


def test_models_penalties_and_training_never_make_float64(no_float64_device):
    torch.manual_seed(0)
    g = models.mlp_generator(2, 2, hidden=16, depth=2)
    c = models.mlp_critic(2, hidden=16, depth=2, norm="layer")
    real = data.sample("8gaussians", 32, device=no_float64_device)
    fake = g(torch.randn(32, 2))
    for pen in (
        penalties.gradient_penalty(c, real, fake, return_norms=True).penalty,
        penalties.gradient_penalty(c, real, fake, one_sided=True),
        penalties.r1_penalty(c, real),
        penalties.finite_difference_penalty(c, real, fake),
    ):
        pen.backward()
    penalties.clip_weights(c, 0.1)
    conv_g, conv_c = models.conv_generator(4, width=4), models.conv_critic(width=4, norm="layer")
    images = conv_g(torch.randn(3, 4))
    penalties.gradient_penalty(conv_c, images, conv_g(torch.randn(3, 4)).detach()).backward()
    for loss in wganlib.train.LOSSES:
        h = wganlib.train_gan(
            g, c, lambda n: data.sample("8gaussians", n, device=no_float64_device),
            steps=2, loss=loss, n_critic=1, batch_size=16, seed=0, progress=False,
        )  # fmt: skip
        assert len(h) == 2
