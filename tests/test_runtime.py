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


def test_seed_offset_shifts_every_seed(monkeypatch):
    monkeypatch.delenv("WGANLIB_SEED_OFFSET", raising=False)
    assert wganlib.seed_offset() == 0 and wganlib.seed(3) == 3
    a = torch.rand(2, generator=wganlib.generator(3))
    wganlib.seed_everything(3)
    b = torch.rand(2)
    assert torch.equal(a, b)  # at offset 0 seed_everything(s) is torch.manual_seed(s)
    monkeypatch.setenv("WGANLIB_SEED_OFFSET", "2")
    assert wganlib.seed_offset() == 2 and wganlib.seed(3) != 3
    assert len({wganlib.seed(s) for s in range(100)}) == 100
    c = torch.rand(2, generator=wganlib.generator(3))
    assert not torch.equal(a, c)
    assert wganlib.rng(3).random() != np.random.default_rng(3).random()
    wganlib.seed_everything(3)
    assert torch.equal(torch.rand(2), c)
    # offsets never share a seed while a chapter uses fewer than 10,007 seeds
    seeds = set()
    for k in range(4):
        monkeypatch.setenv("WGANLIB_SEED_OFFSET", str(k))
        seeds |= {wganlib.seed(s) for s in range(50)}
    assert len(seeds) == 200


def test_seed_offset_bad_values_are_clear_errors(monkeypatch):
    monkeypatch.setenv("WGANLIB_SEED_OFFSET", "one")
    with pytest.raises(ValueError, match="WGANLIB_SEED_OFFSET must be a non-negative integer"):
        wganlib.seed(0)
    monkeypatch.setenv("WGANLIB_SEED_OFFSET", "-1")
    with pytest.raises(ValueError, match="non-negative"):
        wganlib.seed(0)
    monkeypatch.delenv("WGANLIB_SEED_OFFSET")
    with pytest.raises(ValueError, match="seed must be >= 0"):
        wganlib.seed(-1)


def test_the_runtime_module_is_not_shadowed_by_the_device_function():
    import importlib

    runtime = importlib.import_module("wganlib.runtime")
    assert runtime.device is wganlib.device and callable(wganlib.device)
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("wganlib.device")  # the old module name, now only the function


def test_preserved_rng_restores_the_cpu_and_every_accelerator():
    from wganlib.runtime import preserved_rng

    torch.manual_seed(5)
    expected = torch.rand(2)
    torch.manual_seed(5)
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
    with preserved_rng():
        torch.manual_seed(99)  # reseeds the CPU, every CUDA device and MPS
        torch.rand(10)
    assert torch.equal(torch.rand(2), expected)
    if cuda is not None:
        assert all(torch.equal(a, b) for a, b in zip(cuda, torch.cuda.get_rng_state_all(), strict=True))
    with pytest.raises(KeyError), preserved_rng():  # restored when the block raises, too
        torch.manual_seed(1)
        raise KeyError("x")


def test_preserved_rng_restores_simulated_cuda_devices_and_mps(monkeypatch):
    # no accelerator here: stand-in generators for two CUDA devices and MPS, each a state tensor
    from wganlib import runtime

    state = {"cuda": [torch.tensor([1]), torch.tensor([2])], "mps": torch.tensor([3])}
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_rng_state_all", lambda: [t.clone() for t in state["cuda"]])
    monkeypatch.setattr(torch.cuda, "set_rng_state_all", lambda s: state.__setitem__("cuda", list(s)))
    monkeypatch.setattr(runtime, "_mps_available", lambda: True)
    monkeypatch.setattr(torch.mps, "get_rng_state", lambda: state["mps"].clone())
    monkeypatch.setattr(torch.mps, "set_rng_state", lambda s: state.__setitem__("mps", s))
    with runtime.preserved_rng():
        state["cuda"] = [torch.tensor([7]), torch.tensor([8])]  # what torch.manual_seed does to each device
        state["mps"] = torch.tensor([9])
    assert [t.item() for t in state["cuda"]] == [1, 2] and state["mps"].item() == 3
