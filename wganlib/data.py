"""Toy distributions of the WGAN-GP paper (Gulrajani et al. 2017) and the 1-D examples of the book.

All samplers are vectorised torch: they draw on the requested ``device`` with the given
``generator`` (a ``torch.Generator``), or with PyTorch's global generator when none is given.
The scaling follows the paper's toy code: 8 gaussians on a circle of radius 2 with std 0.02, both
divided by 1.414; a 5 x 5 grid with spacing 2 and std 0.05, both divided by 2.828; the swiss roll
of scikit-learn with noise 0.25, divided by 7.5.
"""

from __future__ import annotations

import functools
import math

import torch

__all__ = ["DATASETS", "sample", "centres", "mode_std", "parallel_lines", "gaussian_1d"]

DATASETS = ("8gaussians", "25gaussians", "swissroll")

_SCALE = {"8gaussians": 1.414, "25gaussians": 2.828, "swissroll": 7.5}
_STD = {"8gaussians": 0.02, "25gaussians": 0.05}


def _check_name(name: str) -> str:
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; choose one of {', '.join(DATASETS)}")
    return name


def _check_n(n: int) -> int:
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    return n


def _rng_device(generator: torch.Generator | None, device) -> torch.device:
    """The device to draw on: the generator's own device (torch requires it), else ``device``."""
    if generator is not None:
        return generator.device
    return torch.device(device) if device is not None else torch.device("cpu")


def centres(name: str, *, device=None, dtype=torch.float32) -> torch.Tensor:
    """The mode centres of a mixture data set, shape (k, 2), in the data's (scaled) coordinates."""
    _check_name(name)
    return _centres64(name).to(device=device, dtype=dtype, copy=True)  # never hand out the cache


@functools.cache
def _centres64(name: str) -> torch.Tensor:
    """The centres in float64 on the CPU, computed once (samplers call this at every batch)."""
    if name == "8gaussians":
        s = 1.0 / math.sqrt(2.0)
        raw = [(1, 0), (-1, 0), (0, 1), (0, -1), (s, s), (s, -s), (-s, s), (-s, -s)]
        pts = torch.tensor(raw, dtype=torch.float64) * 2.0
    elif name == "25gaussians":
        grid = torch.arange(-2, 3, dtype=torch.float64) * 2.0
        pts = torch.cartesian_prod(grid, grid)
    else:
        raise ValueError(
            "the swiss roll is a continuous manifold, not a mixture: it has no mode centres. "
            "Use wganlib.metrics.wasserstein1 to compare samples with it."
        )
    return pts / _SCALE[name]


def mode_std(name: str) -> float:
    """The standard deviation of each mode of a mixture data set, in the data's coordinates."""
    _check_name(name)
    if name not in _STD:
        raise ValueError("the swiss roll has no modes; mode_std is defined for the mixtures only")
    return _STD[name] / _SCALE[name]


def sample(
    name: str,
    n: int,
    *,
    generator: torch.Generator | None = None,
    device=None,
    dtype=torch.float32,
) -> torch.Tensor:
    """Draw ``n`` points, shape (n, 2), from one of the toy sets ``"8gaussians"``,
    ``"25gaussians"`` or ``"swissroll"`` (Gulrajani et al. 2017, section 5.1)."""
    _check_name(name)
    _check_n(n)
    dev = _rng_device(generator, device)
    kw = {"generator": generator, "device": dev, "dtype": torch.float64}
    if name == "swissroll":
        t = 1.5 * math.pi * (1.0 + 2.0 * torch.rand(n, **kw))
        pts = torch.stack([t * torch.cos(t), t * torch.sin(t)], dim=1)
        pts = pts + 0.25 * torch.randn(n, 2, **kw)
        out = pts / _SCALE[name]
    else:
        c = _centres64(name).to(dev)  # read only
        idx = torch.randint(len(c), (n,), generator=generator, device=dev)
        out = c[idx] + mode_std(name) * torch.randn(n, 2, **kw)
    return out.to(device=device if device is not None else dev, dtype=dtype)


def parallel_lines(
    n: int,
    theta: float,
    *,
    generator: torch.Generator | None = None,
    device=None,
    dtype=torch.float32,
) -> torch.Tensor:
    """``n`` points of P_theta: uniform on the vertical segment {theta} x [0, 1], shape (n, 2)
    (Arjovsky et al. 2017, example 1)."""
    _check_n(n)
    dev = _rng_device(generator, device)
    y = torch.rand(n, generator=generator, device=dev, dtype=torch.float64)
    out = torch.stack([torch.full_like(y, float(theta)), y], dim=1)
    return out.to(device=device if device is not None else dev, dtype=dtype)


def gaussian_1d(
    n: int,
    mean: float = 0.0,
    std: float = 1.0,
    *,
    generator: torch.Generator | None = None,
    device=None,
    dtype=torch.float32,
) -> torch.Tensor:
    """``n`` draws of a 1-D gaussian N(mean, std^2), shape (n, 1)."""
    _check_n(n)
    if std <= 0:
        raise ValueError(f"std must be positive, got {std}")
    dev = _rng_device(generator, device)
    z = torch.randn(n, 1, generator=generator, device=dev, dtype=torch.float64)
    out = mean + std * z
    return out.to(device=device if device is not None else dev, dtype=dtype)
