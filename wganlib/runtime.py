"""Where tensors live and how runs are made repeatable.

(This module was called ``wganlib.device`` until the function ``wganlib.device()`` shadowed it:
``import wganlib.device as d`` gave the function. The functions are re-exported by ``wganlib``.)
"""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Iterator

import numpy as np
import torch

from ._helpers import seed_value

__all__ = ["device", "generator", "rng", "seed", "seed_everything", "seed_offset", "preserved_rng"]

_ENV_VAR = "WGANLIB_DEVICE"
_OFFSET_VAR = "WGANLIB_SEED_OFFSET"
#: How far apart the seeds of two offsets lie: a chapter's seeds 0, 1, 2, ... at offset k become
#: k * _STRIDE + 0, 1, 2, ..., so no two offsets share a seed while a chapter uses fewer seeds than this.
_STRIDE = 10_007


def _available(kind: str) -> bool:
    if kind == "cpu":
        return True
    if kind == "cuda":
        return torch.cuda.is_available()
    if kind == "mps":
        mps = getattr(torch.backends, "mps", None)
        return bool(mps is not None and mps.is_available())
    return False


def device(prefer: str | torch.device | None = None) -> torch.device:
    """Return the device to compute on: cuda, then mps, then cpu.

    Parameters
    ----------
    prefer : str or torch.device, optional
        A device to use instead of the automatic choice, e.g. ``"cpu"`` or ``"cuda:0"``.

    The environment variable ``WGANLIB_DEVICE`` (e.g. ``WGANLIB_DEVICE=cpu``) overrides both
    ``prefer`` and the automatic choice. Asking for a device that this machine does not have raises
    a ``RuntimeError`` that says which devices are available.
    """
    wanted = os.environ.get(_ENV_VAR) or prefer
    if wanted is not None:
        dev = torch.device(wanted)
        if not _available(dev.type):
            have = [k for k in ("cuda", "mps", "cpu") if _available(k)]
            source = f"${_ENV_VAR}" if os.environ.get(_ENV_VAR) else "prefer="
            raise RuntimeError(
                f"device {str(dev)!r} (from {source}) is not available on this machine; "
                f"available: {', '.join(have)}. Unset {_ENV_VAR} or choose one of these."
            )
        return dev
    for kind in ("cuda", "mps"):
        if _available(kind):
            return torch.device(kind)
    return torch.device("cpu")


def seed_offset() -> int:
    """The book-wide seed offset, read from the environment variable ``WGANLIB_SEED_OFFSET`` (0 when unset).

    ``make robustness`` runs every chapter at offsets 0-3, so that a claim about a training outcome is
    tested on several random streams, as a student on another device would draw them.
    """
    raw = os.environ.get(_OFFSET_VAR, "").strip()
    if not raw:
        return 0
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"${_OFFSET_VAR} must be a non-negative integer, got {raw!r}") from None
    if value < 0:
        raise ValueError(f"${_OFFSET_VAR} must be a non-negative integer, got {raw!r}")
    return value


def seed(value: int) -> int:
    """The seed to use for a chapter's seed ``value``: ``value`` itself, shifted by the book-wide offset.

    Every seed in a chapter goes through this function (directly or through :func:`seed_everything`,
    :func:`generator` and :func:`rng`), so that ``WGANLIB_SEED_OFFSET=k`` gives the whole chapter a
    different random stream; at offset 0 (the default) ``seed(s) == s``.
    """
    return seed_value(value) + _STRIDE * seed_offset()


def generator(value: int, device: str | torch.device = "cpu") -> torch.Generator:
    """A ``torch.Generator`` on ``device`` (the CPU by default) seeded with :func:`seed` ``(value)``.

    Draw on the CPU and move the result when the numbers must be the same on every device (a GPU's
    generator gives different numbers from the same seed).
    """
    return torch.Generator(device=device).manual_seed(seed(value))


def rng(value: int) -> np.random.Generator:
    """A NumPy ``Generator`` seeded with :func:`seed` ``(value)``."""
    return np.random.default_rng(seed(value))


def seed_everything(value: int) -> None:
    """Seed Python's, NumPy's and PyTorch's (CPU, every CUDA device, MPS) generators with :func:`seed` ``(value)``.

    Call it once at the top of a notebook or script; the library itself never reseeds.
    """
    s = seed(value)
    random.seed(s)
    np.random.seed(s % 2**32)
    torch.manual_seed(s)  # seeds the CPU, every CUDA device and MPS


def _mps_available() -> bool:
    return _available("mps")


@contextlib.contextmanager
def preserved_rng() -> Iterator[None]:
    """Save PyTorch's global random state on every device (the CPU, every CUDA device, MPS) and restore
    it on exit, however the block ends.

    ``torch.manual_seed`` reseeds all of them, so a block that calls it must restore all of them to
    leave the caller's random state as it was (``torch.random.fork_rng`` saves the CPU and one kind of
    accelerator only).
    """
    cpu = torch.get_rng_state()
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
    mps = torch.mps.get_rng_state() if _mps_available() else None
    try:
        yield
    finally:
        torch.set_rng_state(cpu)
        if cuda is not None:
            torch.cuda.set_rng_state_all(cuda)
        if mps is not None:
            torch.mps.set_rng_state(mps)
