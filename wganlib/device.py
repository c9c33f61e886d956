"""Where tensors live and how runs are made repeatable."""

from __future__ import annotations

import os
import random

import numpy as np
import torch

__all__ = ["device", "seed_everything"]

_ENV_VAR = "WGANLIB_DEVICE"


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


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's (CPU and every GPU) random generators with ``seed``.

    Call it once at the top of a notebook or script; the library itself never reseeds.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    torch.manual_seed(int(seed))
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(int(seed))
