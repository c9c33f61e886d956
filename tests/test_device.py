import random

import numpy as np
import pytest
import torch

import wganlib


def test_device_defaults_to_an_available_device(monkeypatch):
    monkeypatch.delenv("WGANLIB_DEVICE", raising=False)
    dev = wganlib.device()
    assert isinstance(dev, torch.device)
    expected = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert dev.type == expected


def test_prefer_and_env_override(monkeypatch):
    monkeypatch.delenv("WGANLIB_DEVICE", raising=False)
    assert wganlib.device("cpu") == torch.device("cpu")
    monkeypatch.setenv("WGANLIB_DEVICE", "cpu")
    assert wganlib.device("cuda") == torch.device("cpu")  # the variable wins over prefer


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_unavailable_device_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("WGANLIB_DEVICE", "cuda")
    with pytest.raises(RuntimeError, match="not available on this machine; available: .*cpu"):
        wganlib.device()


def test_seed_everything_repeats_every_generator():
    def draw():
        return random.random(), np.random.rand(), torch.rand(3)

    wganlib.seed_everything(123)
    a = draw()
    wganlib.seed_everything(123)
    b = draw()
    assert a[0] == b[0] and a[1] == b[1] and torch.equal(a[2], b[2])
    with pytest.raises(TypeError, match="seed must be an int"):
        wganlib.seed_everything(1.5)
