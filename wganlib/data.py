"""Toy distributions of the WGAN-GP paper (Gulrajani et al. 2017) and the 1-D examples of the book.

All samplers are vectorised torch: they draw on the requested ``device`` with the given
``generator`` (a ``torch.Generator``, which must live on the device it draws on), or with PyTorch's
global generator when none is given. They draw in float64 where the device has it and in float32
where it does not (Apple's MPS), then return the requested ``dtype``: no float64 tensor is ever made
on a device without float64.
The scaling follows the paper's toy code: 8 gaussians on a circle of radius 2 with std 0.02, both
divided by 1.414; a 5 x 5 grid with spacing 2 and std 0.05, both divided by 2.828; the swiss roll
of scikit-learn with noise 0.25, divided by 7.5.
"""

from __future__ import annotations

import functools
import gzip
import math
import os
from pathlib import Path

import numpy as np
import torch

from ._helpers import exact_dtype, positive_int

__all__ = [
    "DATASETS", "sample", "centres", "mode_std", "parallel_lines", "gaussian_1d", "digits", "mnist",
    "MNIST_URL",
]  # fmt: skip

DATASETS = ("8gaussians", "25gaussians", "swissroll")

_SCALE = {"8gaussians": 1.414, "25gaussians": 2.828, "swissroll": 7.5}
_STD = {"8gaussians": 0.02, "25gaussians": 0.05}


def _check_name(name: str) -> str:
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; choose one of {', '.join(DATASETS)}")
    return name


def _check_n(n: int) -> int:
    return positive_int(n, "n")


def _rng_device(generator: torch.Generator | None, device) -> torch.device:
    """The device to draw on: the generator's own device (torch requires it), else ``device``."""
    if generator is not None:
        return generator.device
    return torch.device(device) if device is not None else torch.device("cpu")


def centres(name: str, *, device=None, dtype=torch.float32) -> torch.Tensor:
    """The mode centres of a mixture data set, shape (k, 2), in the data's (scaled) coordinates."""
    _check_name(name)
    return _from_numpy(_centres64(name), device, dtype)  # a fresh tensor: never the cache


def _from_numpy(a: np.ndarray, device, dtype: torch.dtype) -> torch.Tensor:
    """A new tensor of ``dtype`` on ``device`` from a float64 array, converted in NumPy (so that no
    float64 tensor is made unless float64 is asked for)."""
    np_dtype = np.float64 if dtype == torch.float64 else np.float32
    return torch.from_numpy(np.array(a, dtype=np_dtype)).to(device=device, dtype=dtype)


@functools.cache
def _centres64(name: str) -> np.ndarray:
    """The centres as a read-only float64 NumPy array, computed once (samplers call this at every batch)."""
    if name == "8gaussians":
        s = 1.0 / math.sqrt(2.0)
        raw = [(1, 0), (-1, 0), (0, 1), (0, -1), (s, s), (s, -s), (-s, s), (-s, -s)]
        pts = np.array(raw, dtype=np.float64) * 2.0
    elif name == "25gaussians":
        grid = np.arange(-2, 3, dtype=np.float64) * 2.0
        pts = np.stack(np.meshgrid(grid, grid, indexing="ij"), axis=-1).reshape(-1, 2)
    else:
        raise ValueError(
            "the swiss roll is a continuous manifold, not a mixture: it has no mode centres. "
            "Use wganlib.metrics.wasserstein1 to compare samples with it."
        )
    pts = pts / _SCALE[name]
    pts.setflags(write=False)
    return pts


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
    kw = {"generator": generator, "device": dev, "dtype": exact_dtype(dev)}
    if name == "swissroll":
        t = 1.5 * math.pi * (1.0 + 2.0 * torch.rand(n, **kw))
        pts = torch.stack([t * torch.cos(t), t * torch.sin(t)], dim=1)
        pts = pts + 0.25 * torch.randn(n, 2, **kw)
        out = pts / _SCALE[name]
    else:
        c = _from_numpy(_centres64(name), dev, kw["dtype"])
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
    y = torch.rand(n, generator=generator, device=dev, dtype=exact_dtype(dev))
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
    z = torch.randn(n, 1, generator=generator, device=dev, dtype=exact_dtype(dev))
    out = mean + std * z
    return out.to(device=device if device is not None else dev, dtype=dtype)


# ---------------------------------------------------------------------------------------------------
# Images (chapter 7)

_SPLITS = ("train", "test", "all")
#: Where ``mnist(download=True)`` fetches the four files (a mirror of Yann LeCun's originals).
MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
_MNIST_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


def _check_split(split: str) -> str:
    if split not in _SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {', '.join(_SPLITS)}")
    return split


def _to_images(pixels: np.ndarray, labels: np.ndarray, top: float, side: int, device, dtype):
    """Pixels in [0, top] -> a float tensor in [-1, 1] of shape (n, 1, side, side), and int64 labels."""
    x = torch.from_numpy(pixels.astype(np.float32).reshape(-1, 1, side, side) * (2.0 / top) - 1.0)
    y = torch.from_numpy(labels.astype(np.int64))
    return x.to(device=device, dtype=dtype), y.to(device=device)


def digits(split: str = "train", *, device=None, dtype=torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's 8x8 handwritten digits (1,797 images, shipped with the package: no download).

    Returns ``(images, labels)``: images of shape (n, 1, 8, 8) scaled from the grey levels 0-16 to
    [-1, 1], labels 0-9 of shape (n,). ``split="train"`` is a fixed 70% of each class (1,258 images),
    ``"test"`` the other 30% (539), the same on every machine and for every seed (a fixed
    stratified permutation), so that "held-out digits" always means the same images.
    """
    _check_split(split)
    from sklearn.datasets import load_digits

    bunch = load_digits()
    pixels, labels = bunch.images, bunch.target
    if split != "all":
        train_idx, test_idx = _digits_split(tuple(labels.tolist()))
        idx = train_idx if split == "train" else test_idx
        pixels, labels = pixels[idx], labels[idx]
    return _to_images(pixels, labels, 16.0, 8, device, dtype)


@functools.cache
def _digits_split(labels: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """70/30 split, stratified by class, from a fixed permutation (independent of every seed)."""
    y = np.asarray(labels)
    order = np.random.RandomState(20170131).permutation(len(y))  # fixed: part of the data set's definition
    train, test = [], []
    for c in range(10):
        members = order[y[order] == c]
        cut = int(round(0.7 * len(members)))
        train.append(members[:cut])
        test.append(members[cut:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def _mnist_dir(root) -> Path:
    if root is not None:
        return Path(root)
    base = os.environ.get("WGANLIB_DATA") or Path.home() / ".cache" / "wganlib"
    return Path(base) / "mnist"


def _read_idx(path: Path) -> np.ndarray:
    """An IDX file (MNIST's format), gzipped or not, as a uint8 array."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes (bad magic number); delete it and retry")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path} is truncated: expected {int(np.prod(shape))} values, found {data.size}")
    return data.reshape(shape)


def mnist(
    split: str = "train", *, root=None, download: bool = False, device=None, dtype=torch.float32
) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST (LeCun et al. 1998): 60,000 training and 10,000 test images of 28x28 digits.

    Returns ``(images, labels)``: images of shape (n, 1, 28, 28) scaled to [-1, 1], labels (n,).
    The files are read from ``root`` (default ``$WGANLIB_DATA/mnist`` or ``~/.cache/wganlib/mnist``).
    Nothing is downloaded unless ``download=True`` (from :data:`MNIST_URL`); without the files a
    ``FileNotFoundError`` says where they were looked for and how to get them. Read with NumPy: no
    torchvision needed.
    """
    _check_split(split)
    folder = _mnist_dir(root)
    parts = ("train", "test") if split == "all" else (split,)
    images, labels = [], []
    for part in parts:
        for name in _MNIST_FILES[part]:
            path = folder / name
            if not path.exists():
                if not download:
                    raise FileNotFoundError(
                        f"MNIST file {name} not found in {folder}. Pass download=True to fetch it from "
                        f"{MNIST_URL} (needs a network), or copy the four MNIST .gz files there; offline, "
                        "use wganlib.data.digits() instead."
                    )
                import urllib.request

                folder.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".part")
                urllib.request.urlretrieve(MNIST_URL + name, tmp)  # noqa: S310 (fixed https URL)
                tmp.replace(path)
        img_file, lab_file = _MNIST_FILES[part]
        pix, lab = _read_idx(folder / img_file), _read_idx(folder / lab_file)
        if pix.ndim != 3 or lab.ndim != 1 or len(pix) != len(lab):
            raise ValueError(f"MNIST files in {folder} disagree: images {pix.shape}, labels {lab.shape}")
        images.append(pix)
        labels.append(lab)
    return _to_images(np.concatenate(images), np.concatenate(labels), 255.0, 28, device, dtype)
