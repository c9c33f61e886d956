"""Private helpers shared by the modules of wganlib: argument checks and conversions.

Not part of the public API: names here may change without notice.
"""

from __future__ import annotations

import numpy as np
import torch

#: Device types without float64 tensors (Apple's MPS). A test adds "cpu" here to simulate such a
#: device on a machine that has none; every float64 the library makes by itself asks this first.
NO_FLOAT64: set[str] = {"mps"}


def has_float64(device) -> bool:
    """True when tensors of dtype float64 can live on ``device``."""
    return torch.device(device if device is not None else "cpu").type not in NO_FLOAT64


def exact_dtype(device) -> torch.dtype:
    """The most precise float dtype ``device`` supports: float64, or float32 where float64 is missing."""
    return torch.float64 if has_float64(device) else torch.float32


def positive_int(value, name: str) -> int:
    """``value`` as an int, or a ValueError naming ``name`` when it is not a positive int (bools refused)."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def seed_value(value, name: str = "seed") -> int:
    """``value`` as an int seed, or a TypeError/ValueError naming what is wrong."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return int(value)


def to_numpy(x) -> np.ndarray:
    """A float64 NumPy array from a tensor (any device: moved to the CPU first) or array-like.

    The conversion to float64 happens in NumPy, so no float64 tensor is made on any device.
    """
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)


def as_points(x, name: str) -> np.ndarray:
    """A finite float64 array of shape (n, d) from NumPy or torch input; 1-D input is read as (n, 1)."""
    a = to_numpy(x)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise ValueError(f"{name} must have shape (n,) or (n, d) with one point per row; got {a.shape}")
    if a.shape[0] == 0:
        raise ValueError(f"{name} is empty: it needs at least one point")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains nan or inf values; drop or fix those rows first")
    return a


def as_point_pair(x, y, names: tuple[str, str] = ("x", "y")) -> tuple[np.ndarray, np.ndarray]:
    """Two point clouds of the same dimension, as float64 arrays (n, d) and (m, d)."""
    a, b = as_points(x, names[0]), as_points(y, names[1])
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"{names[0]} and {names[1]} must be points of the same dimension; got {names[0]} of shape "
            f"{a.shape} and {names[1]} of shape {b.shape}"
        )
    return a, b


def flat(x):
    """(n, ...) -> (n, d): images become rows of pixels; tensors stay tensors."""
    if isinstance(x, torch.Tensor):
        return x.detach().reshape(x.shape[0], -1) if x.dim() > 2 else x
    a = np.asarray(x)
    return a.reshape(a.shape[0], -1) if a.ndim > 2 else a
