import matplotlib.figure
import torch

from wganlib import data, models, plot


def test_each_plot_returns_its_figure():
    real = data.sample("8gaussians", 200)
    critic = models.mlp_critic(2, hidden=8, depth=1)
    figs = [
        plot.samples(real, real + 0.1, data.centres("8gaussians"), title="t", lim=2),
        plot.critic_contour(critic, real, real + 0.1, resolution=20),
        plot.weight_histogram(critic),
    ]
    for fig in figs:
        assert isinstance(fig, matplotlib.figure.Figure) and fig.axes


def test_samples_takes_real_then_fake_like_the_rest_of_the_library():
    import numpy as np

    real = torch.zeros(5, 2)
    fake = torch.ones(7, 2)
    ax = plot.samples(real, fake).axes[0]
    by_label = {c.get_label(): c.get_offsets() for c in ax.collections}
    assert np.allclose(by_label["real"], 0.0) and len(by_label["real"]) == 5
    assert np.allclose(by_label["generated"], 1.0) and len(by_label["generated"]) == 7
    alone = plot.samples(None, fake).axes[0]
    assert [c.get_label() for c in alone.collections] == ["generated"]


def test_contour_keeps_the_critic_mode():
    critic = models.mlp_critic(2, hidden=8, depth=1, norm="batch")
    critic.train()
    plot.critic_contour(critic, resolution=10, arrows=False)
    assert critic.training
    assert torch.is_grad_enabled()


def test_image_grid_tiles_images_and_checks_shapes():
    import pytest

    x, _ = data.digits("test")
    fig = plot.image_grid(x[:23], nrow=10, title="digits")
    canvas = fig.axes[0].images[0].get_array()
    assert canvas.shape == (3 * 9 + 1, 10 * 9 + 1)  # 3 rows of 10, 8x8 images with 1-pixel gaps
    assert canvas.min() >= 0 and canvas.max() <= 1
    with pytest.raises(ValueError, match="grey images"):
        plot.image_grid(torch.zeros(2, 3, 8, 8))
    with pytest.raises(ValueError, match="nrow"):
        plot.image_grid(x[:4], nrow=0)
