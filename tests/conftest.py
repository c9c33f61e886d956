import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402
from torch.utils._python_dispatch import TorchDispatchMode  # noqa: E402


class _NoFloat64(TorchDispatchMode):
    """Fail any PyTorch operation that makes a float64 tensor (the CPU stands in for Apple's MPS)."""

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in out if isinstance(out, (tuple, list)) else (out,):
            if isinstance(t, torch.Tensor) and t.dtype == torch.float64:
                raise AssertionError(f"{func} made a float64 tensor on {t.device}, a device without float64")
        return out


@pytest.fixture
def no_float64_device(monkeypatch):
    """Simulate a device without float64 (MPS) on the CPU: the library is told the CPU has no float64,
    and every operation that makes a float64 tensor fails while the test runs."""
    from wganlib import _helpers

    monkeypatch.setattr(_helpers, "NO_FLOAT64", {"mps", "cpu"})
    with _NoFloat64():
        yield torch.device("cpu")
