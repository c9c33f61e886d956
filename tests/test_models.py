import numpy as np
import pytest
import torch
from torch import nn

from wganlib import models


def test_generator_and_critic_shapes():
    g = models.mlp_generator(5, 2, hidden=16, depth=2)
    c = models.mlp_critic(2, hidden=16, depth=3)
    z = torch.randn(7, 5)
    assert g(z).shape == (7, 2)
    assert c(g(z)).shape == (7, 1)
    assert sum(isinstance(m, nn.Linear) for m in c) == 4


@pytest.mark.parametrize("norm,layer", [("layer", nn.LayerNorm), ("batch", nn.BatchNorm1d)])
def test_critic_norms(norm, layer):
    c = models.mlp_critic(2, hidden=8, depth=2, norm=norm)
    assert sum(isinstance(m, layer) for m in c.modules()) == 2
    assert models.has_batch_norm(c) == (norm == "batch")


def test_spectral_norm_bounds_each_layer():
    c = models.mlp_critic(2, hidden=32, depth=2, spectral_norm=True)
    c.train()
    for _ in range(30):  # power iterations converge while training
        c(torch.randn(8, 2))
    c.eval()
    for m in c.modules():
        if isinstance(m, nn.Linear):
            assert torch.linalg.matrix_norm(m.weight, ord=2) < 1.05


def test_bad_arguments_are_clear():
    with pytest.raises(ValueError, match="unknown norm 'group'"):
        models.mlp_critic(2, norm="group")
    with pytest.raises(ValueError, match="hidden must be a positive int"):
        models.mlp_generator(2, 2, hidden=0)
    with pytest.raises(ValueError, match="unknown activation"):
        models.mlp_critic(2, activation="swish")


@pytest.mark.parametrize("size", [8, 28])
def test_conv_generator_and_critic_shapes(size):
    g = models.conv_generator(10, size=size, width=8)
    c = models.conv_critic(size=size, width=8, norm="layer")
    x = g(torch.randn(3, 10))
    assert x.shape == (3, 1, size, size)
    assert x.abs().max() <= 1  # tanh output, the range of the data
    assert c(x).shape == (3, 1)
    assert any(isinstance(m, nn.GroupNorm) and m.num_groups == 1 for m in c.modules())


def test_conv_critic_options_and_errors():
    from wganlib import penalties

    sn = models.conv_critic(width=4, spectral_norm=True)
    assert sum(hasattr(m, "parametrizations") for m in sn.modules()) == 3
    with pytest.raises(ValueError, match="BatchNorm"):
        penalties.check_critic_for_penalty(models.conv_critic(width=4, norm="batch"))
    with pytest.raises(ValueError, match="multiple of 4"):
        models.conv_generator(4, size=10)
    with pytest.raises(ValueError, match="unknown norm"):
        models.conv_critic(norm="instance")
    # per-sample: a LayerNorm (GroupNorm with one group) critic's score of one image ignores the others
    c = models.conv_critic(width=4, norm="layer")
    x = torch.randn(5, 1, 8, 8)
    assert torch.allclose(c(x)[:1], c(x[:1]), atol=1e-6)


@pytest.mark.parametrize(
    "loss,kw",
    [("wgan", dict(optimizer="rmsprop", clip=0.01)), ("wgan-gp", {}), ("hinge", {}), ("r1", {})],
)
def test_conv_models_train_on_digits_with_every_loss(loss, kw):
    import wganlib
    from wganlib import data

    x, _ = data.digits("train")
    torch.manual_seed(0)
    g = models.conv_generator(4, width=4)
    c = models.conv_critic(width=4, norm="none" if loss == "wgan" else "layer", spectral_norm=loss == "hinge")
    batches = torch.Generator().manual_seed(0)
    history = wganlib.train_gan(
        g, c, lambda n: x[torch.randint(len(x), (n,), generator=batches)],
        steps=3, n_critic=2, batch_size=16, loss=loss, progress=False, **kw,
    )  # fmt: skip
    assert len(history) == 3 and all(np.isfinite(history.critic_loss))
    if loss == "wgan":  # clipping reaches the convolutions too
        assert all(p.abs().max() <= 0.01 for p in c.parameters())


def test_sizes_and_flags_are_keyword_only():
    with pytest.raises(TypeError, match="positional"):
        models.mlp_critic(2, 32, 2)
    with pytest.raises(TypeError, match="positional"):
        models.mlp_generator(2, 2, 32, 2)
    with pytest.raises(TypeError, match="positional"):
        models.conv_critic(1, 8)
    assert len(models.mlp_critic(2, hidden=32, depth=2)) == 5  # two hidden layers (linear, relu), one output
    assert models.mlp_generator(2, 3, hidden=8, depth=1)[-1].out_features == 3
    with pytest.raises(ValueError, match="hidden must be a positive int, got True"):
        models.mlp_critic(2, hidden=True)
