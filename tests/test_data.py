import math

import pytest
import torch

from wganlib import data


@pytest.mark.parametrize("name", data.DATASETS)
def test_sample_shape_dtype_device_and_generator(name):
    x = data.sample(name, 500, generator=torch.Generator().manual_seed(0))
    y = data.sample(name, 500, generator=torch.Generator().manual_seed(0))
    assert x.shape == (500, 2) and x.dtype == torch.float32 and x.device.type == "cpu"
    assert torch.equal(x, y)
    assert torch.isfinite(x).all()


@pytest.mark.parametrize("name,k,radius", [("8gaussians", 8, 2 / 1.414), ("25gaussians", 25, None)])
def test_mixtures_follow_the_papers_scaling(name, k, radius):
    c = data.centres(name)
    assert c.shape == (k, 2)
    if radius is not None:
        assert torch.allclose(c.norm(dim=1), torch.full((k,), radius), atol=1e-6)
    else:  # the 5 x 5 grid: spacing 2 / 2.828
        xs = torch.unique(c[:, 0])
        assert len(xs) == 5
        assert torch.allclose(xs.diff(), torch.full((4,), 2 / 2.828), atol=1e-6)
    # every sample lies near a centre, with the documented spread
    x = data.sample(name, 20_000, generator=torch.Generator().manual_seed(1)).double()
    d = torch.cdist(x, c.double()).min(dim=1).values
    std = data.mode_std(name)
    # distance to the centre of a 2-D gaussian is Rayleigh distributed: mean std * sqrt(pi / 2)
    assert abs(d.mean().item() / (std * math.sqrt(math.pi / 2)) - 1) < 0.03


def test_swissroll_scale():
    x = data.sample("swissroll", 20_000, generator=torch.Generator().manual_seed(2))
    r = x.norm(dim=1)
    # t in [1.5 pi, 4.5 pi] divided by 7.5, blurred by noise 0.25 / 7.5
    assert 0.45 < r.min() and r.max() < 2.0


def test_unknown_name_and_bad_n():
    with pytest.raises(ValueError, match="unknown data set 'moons'; choose one of 8gaussians"):
        data.sample("moons", 10)
    with pytest.raises(ValueError, match="positive int"):
        data.sample("8gaussians", 0)
    with pytest.raises(ValueError, match="no mode centres"):
        data.centres("swissroll")


def test_parallel_lines_and_gaussian_1d():
    x = data.parallel_lines(100, 0.7, generator=torch.Generator().manual_seed(0))
    assert torch.all(x[:, 0] == 0.7) and x[:, 1].min() >= 0 and x[:, 1].max() <= 1
    g = data.gaussian_1d(50_000, 3.0, 2.0, generator=torch.Generator().manual_seed(0))
    assert g.shape == (50_000, 1)
    assert abs(g.mean().item() - 3.0) < 0.05 and abs(g.std().item() - 2.0) < 0.05


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_sampling_on_the_gpu():
    x = data.sample("25gaussians", 10, device="cuda")
    assert x.device.type == "cuda"


def test_digits_splits_are_fixed_disjoint_and_scaled():
    x, y = data.digits("train")
    xt, yt = data.digits("test")
    xa, ya = data.digits("all")
    assert x.shape == (1258, 1, 8, 8) and xt.shape == (539, 1, 8, 8) and xa.shape == (1797, 1, 8, 8)
    assert x.dtype == torch.float32 and y.dtype == torch.int64
    assert x.min() == -1 and x.max() == 1
    assert torch.equal(torch.bincount(y) + torch.bincount(yt), torch.bincount(ya))
    # every image of "all" is in exactly one split (no duplicates across splits by index)
    x2, _ = data.digits("train")
    assert torch.equal(x, x2)  # the split does not depend on any random state
    torch.manual_seed(123)
    assert torch.equal(data.digits("train")[0], x)
    with pytest.raises(ValueError, match="unknown split 'val'"):
        data.digits("val")


def _write_idx(path, array):
    import gzip

    import numpy as np

    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def test_mnist_reads_idx_files_and_never_downloads_by_default(tmp_path):
    import numpy as np

    with pytest.raises(FileNotFoundError, match="download=True.*digits"):
        data.mnist(root=tmp_path)
    rng = np.random.default_rng(0)
    for part, n in (("train", 6), ("t10k", 4)):
        _write_idx(tmp_path / f"{part}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)))
        _write_idx(tmp_path / f"{part}-labels-idx1-ubyte.gz", rng.integers(0, 10, n))
    x, y = data.mnist("train", root=tmp_path)
    assert x.shape == (6, 1, 28, 28) and y.shape == (6,)
    assert x.min() >= -1 and x.max() <= 1
    assert data.mnist("all", root=tmp_path)[0].shape == (10, 1, 28, 28)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not gzip")
    with pytest.raises(Exception):  # noqa: B017 (a broken file must not load silently)
        data.mnist("test", root=tmp_path)
