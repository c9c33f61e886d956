"""Figures of the book. Each function draws on a new figure (or on ``ax``) and returns the figure;
none changes matplotlib's global style."""

from __future__ import annotations

import numpy as np
import torch

from ._helpers import to_numpy

__all__ = ["samples", "critic_contour", "training_curves", "weight_histogram", "image_grid"]


def _np(x) -> np.ndarray:
    return to_numpy(x)


def _axes(ax, figsize=(5, 5)):
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


def samples(real, fake, centres=None, *, ax=None, title: str | None = None, lim: float | None = None):
    """Generated points (orange) over real points (blue) and mode centres (black crosses).

    The order is ``(real, fake)``, as everywhere in ``wganlib``. ``real`` may be ``None`` to draw
    the generated points alone.
    """
    fig, ax = _axes(ax)
    if real is not None:
        r = _np(real)
        ax.scatter(r[:, 0], r[:, 1], s=4, alpha=0.3, c="tab:blue", label="real")
    f = _np(fake)
    ax.scatter(f[:, 0], f[:, 1], s=4, alpha=0.5, c="tab:orange", label="generated")
    if centres is not None:
        c = _np(centres)
        ax.scatter(c[:, 0], c[:, 1], marker="x", c="k", s=30, label="mode centres")
    if lim is not None:
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=8, markerscale=3)
    if title:
        ax.set_title(title)
    return fig


def critic_contour(
    critic,
    real=None,
    fake=None,
    *,
    lim: float = 2.0,
    resolution: int = 100,
    arrows: bool = True,
    ax=None,
    title: str | None = None,
):
    """Filled contours of a 2-D critic over [-lim, lim]^2, its gradient field as arrows (pointing
    uphill, where the generator's samples are pushed), and optional real and fake points."""
    fig, ax = _axes(ax, figsize=(5.5, 5))
    p = next(iter(critic.parameters()), None) if hasattr(critic, "parameters") else None
    dev = p.device if p is not None else torch.device("cpu")
    dtype = p.dtype if p is not None else torch.float32
    g = torch.linspace(-lim, lim, resolution, device=dev, dtype=dtype)
    xx, yy = torch.meshgrid(g, g, indexing="xy")
    grid = torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1).requires_grad_(True)
    was_training = getattr(critic, "training", False)
    if hasattr(critic, "eval"):
        critic.eval()
    with torch.enable_grad():
        out = critic(grid).reshape(-1)
        (grad,) = torch.autograd.grad(out.sum(), grid)
    if was_training:
        critic.train()
    z = _np(out).reshape(resolution, resolution)
    cs = ax.contourf(_np(xx), _np(yy), z, levels=30, cmap="viridis")
    fig.colorbar(cs, ax=ax, label="critic score")
    if arrows:
        step = max(1, resolution // 20)
        gx = _np(grad[:, 0]).reshape(resolution, resolution)[::step, ::step]
        gy = _np(grad[:, 1]).reshape(resolution, resolution)[::step, ::step]
        ax.quiver(_np(xx)[::step, ::step], _np(yy)[::step, ::step], gx, gy, color="w", alpha=0.7)
    if real is not None:
        r = _np(real)
        ax.scatter(r[:, 0], r[:, 1], s=3, c="tab:blue", alpha=0.5, label="real")
    if fake is not None:
        f = _np(fake)
        ax.scatter(f[:, 0], f[:, 1], s=3, c="tab:orange", alpha=0.5, label="generated")
    if real is not None or fake is not None:
        ax.legend(loc="upper right", fontsize=8, markerscale=3)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    if title:
        ax.set_title(title)
    return fig


def training_curves(history, *, smooth: int = 1, title: str | None = None):
    """Critic and generator losses, the Wasserstein estimate and (when recorded) the gradient norm
    at the penalty's points, against the generator step; ``smooth`` is a moving-average window."""
    import matplotlib.pyplot as plt

    def ma(v):
        v = np.asarray(v, dtype=np.float64)
        if smooth <= 1 or len(v) < smooth:
            return v
        return np.convolve(v, np.ones(smooth) / smooth, mode="valid")

    panels = [("critic_loss", "critic loss"), ("generator_loss", "generator loss"),
              ("wasserstein", "W1 estimate: mean C(real) - mean C(fake)")]  # fmt: skip
    if np.isfinite(np.asarray(history.grad_norm, dtype=float)).any():
        panels.append(("grad_norm", "mean gradient norm at penalty points"))
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3.2))
    for ax, (key, label) in zip(np.atleast_1d(axes), panels, strict=False):
        v = ma(getattr(history, key))
        ax.plot(np.arange(len(v)) + (len(history) - len(v)), v)
        ax.set_xlabel("generator step")
        ax.set_title(label, fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def weight_histogram(module, *, bins: int = 60, ax=None, title: str | None = None):
    """Histogram of all weight matrices' entries of ``module`` (biases and normalisation excluded)."""
    fig, ax = _axes(ax, figsize=(5, 3.2))
    w = np.concatenate(
        [_np(p).ravel() for p in module.parameters() if p.dim() >= 2]  # weight matrices only
    )
    ax.hist(w, bins=bins, color="tab:purple")
    ax.set_xlabel("weight value")
    ax.set_ylabel("count")
    if title:
        ax.set_title(title)
    return fig


def image_grid(images, *, nrow: int = 10, ax=None, title: str | None = None, figsize=None):
    """Grey images (n, 1, h, w) or (n, h, w) with values in [-1, 1], tiled ``nrow`` to a row with a
    one-pixel gap; black is -1 (no ink), white is 1. Returns the figure."""
    x = _np(images)
    if x.ndim == 4:
        if x.shape[1] != 1:
            raise ValueError(f"image_grid draws grey images of shape (n, 1, h, w); got {x.shape}")
        x = x[:, 0]
    if x.ndim != 3 or len(x) == 0:
        raise ValueError(f"image_grid needs images of shape (n, 1, h, w) or (n, h, w); got {x.shape}")
    if not isinstance(nrow, int) or nrow < 1:
        raise ValueError(f"nrow must be a positive int, got {nrow!r}")
    n, h, w = x.shape
    cols = min(nrow, n)
    rows = -(-n // cols)
    canvas = np.full((rows * (h + 1) + 1, cols * (w + 1) + 1), 0.35)  # grey gaps between images
    for i, img in enumerate(np.clip(x, -1.0, 1.0)):
        r, c = divmod(i, cols)
        canvas[1 + r * (h + 1) : 1 + r * (h + 1) + h, 1 + c * (w + 1) : 1 + c * (w + 1) + w] = (img + 1) / 2
    if figsize is None:
        figsize = (min(6.5, 0.55 * cols + 0.2), 0.55 * rows + (0.45 if title else 0.15))
    fig, ax = _axes(ax, figsize=figsize)
    ax.imshow(canvas, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=10)
    return fig
