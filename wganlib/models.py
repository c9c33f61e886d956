"""Small multilayer perceptrons for generators and critics."""

from __future__ import annotations

from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _spectral_norm

from ._helpers import positive_int

__all__ = [
    "mlp_generator", "mlp_critic", "conv_generator", "conv_critic", "has_batch_norm", "NORMS", "ACTIVATIONS",
]  # fmt: skip

NORMS = ("none", "layer", "batch")
ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "elu": nn.ELU,
    "softplus": nn.Softplus,
    "tanh": nn.Tanh,
}


def _check_sizes(**sizes: int) -> None:
    for key, value in sizes.items():
        positive_int(value, key)


def _activation(name: str) -> nn.Module:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]()


def mlp_generator(
    latent_dim: int,
    out_dim: int,
    *,
    hidden: int = 256,
    depth: int = 3,
    activation: str = "relu",
) -> nn.Sequential:
    """A generator: ``depth`` hidden layers of ``hidden`` units, then a linear output.

    Maps noise of shape (n, latent_dim) to samples of shape (n, out_dim). The sizes after ``out_dim``
    are keyword-only: ``mlp_generator(2, 2, hidden=64, depth=2)``.
    """
    _check_sizes(latent_dim=latent_dim, out_dim=out_dim, hidden=hidden, depth=depth)
    layers: list[nn.Module] = []
    width = latent_dim
    for _ in range(depth):
        layers += [nn.Linear(width, hidden), _activation(activation)]
        width = hidden
    layers.append(nn.Linear(width, out_dim))
    return nn.Sequential(*layers)


def mlp_critic(
    in_dim: int,
    *,
    hidden: int = 256,
    depth: int = 3,
    norm: str = "none",
    spectral_norm: bool = False,
    activation: str = "relu",
) -> nn.Sequential:
    """A critic (or discriminator): ``depth`` hidden layers, then one linear output unit.

    Returns scores of shape (n, 1); no sigmoid, so a GAN discriminator's output is a logit. Everything
    after ``in_dim`` is keyword-only: ``mlp_critic(2, hidden=64, depth=3, norm="layer")``.

    Parameters
    ----------
    norm : {"none", "layer", "batch"}
        Normalisation after each hidden linear layer. ``"batch"`` mixes the samples of a batch and
        so breaks a per-sample gradient penalty (Gulrajani et al. 2017, section 4); use ``"layer"``.
    spectral_norm : bool
        Wrap every linear layer in spectral normalisation (Miyato et al. 2018).
    """
    _check_sizes(in_dim=in_dim, hidden=hidden, depth=depth)
    if norm not in NORMS:
        raise ValueError(f"unknown norm {norm!r}; choose one of {', '.join(NORMS)}")

    def linear(a: int, b: int) -> nn.Module:
        layer = nn.Linear(a, b)
        return _spectral_norm(layer) if spectral_norm else layer

    layers: list[nn.Module] = []
    width = in_dim
    for _ in range(depth):
        layers.append(linear(width, hidden))
        if norm == "layer":
            layers.append(nn.LayerNorm(hidden))
        elif norm == "batch":
            layers.append(nn.BatchNorm1d(hidden))
        layers.append(_activation(activation))
        width = hidden
    layers.append(linear(width, 1))
    return nn.Sequential(*layers)


def _check_image_size(size: int) -> int:
    _check_sizes(size=size)
    if size % 4:
        raise ValueError(
            f"size must be a multiple of 4 (two stride-2 stages: 8 for the 8x8 digits, 28 for MNIST); got {size}"
        )
    return size


def conv_generator(
    latent_dim: int,
    *,
    channels: int = 1,
    size: int = 8,
    width: int = 64,
    activation: str = "relu",
) -> nn.Sequential:
    """A small DCGAN-style generator (Radford et al. 2016) for square images in [-1, 1].

    Noise (n, latent_dim) -> a linear layer to ``2 * width`` maps of size/4 x size/4 -> two
    transposed convolutions that double the side (``2 * width`` -> ``width`` -> ``width``) -> a 3x3
    convolution to ``channels`` and ``tanh``. Output shape (n, channels, size, size). No
    normalisation layers: at this scale they are not needed, and the generator stays per-sample.
    """
    _check_sizes(latent_dim=latent_dim, channels=channels, width=width)
    base = _check_image_size(size) // 4
    return nn.Sequential(
        nn.Linear(latent_dim, 2 * width * base * base),
        _activation(activation),
        nn.Unflatten(1, (2 * width, base, base)),
        nn.ConvTranspose2d(2 * width, width, kernel_size=4, stride=2, padding=1),
        _activation(activation),
        nn.ConvTranspose2d(width, width, kernel_size=4, stride=2, padding=1),
        _activation(activation),
        nn.Conv2d(width, channels, kernel_size=3, padding=1),
        nn.Tanh(),
    )


def conv_critic(
    *,
    channels: int = 1,
    size: int = 8,
    width: int = 64,
    norm: str = "none",
    spectral_norm: bool = False,
    activation: str = "leaky_relu",
) -> nn.Sequential:
    """A small convolutional critic for images of shape (n, channels, size, size); scores (n, 1).

    Two stride-2 4x4 convolutions (``width`` then ``2 * width`` maps, each halving the side), then
    one linear output unit; no sigmoid. ``norm="layer"`` normalises each sample's feature maps
    (``nn.GroupNorm`` with one group: LayerNorm over channels and pixels), which keeps a gradient
    penalty per sample; ``norm="batch"`` (BatchNorm) mixes a batch and is refused under a penalty.
    ``spectral_norm=True`` wraps every convolution and the linear layer (Miyato et al. 2018).
    """
    _check_sizes(channels=channels, width=width)
    base = _check_image_size(size) // 4
    if norm not in NORMS:
        raise ValueError(f"unknown norm {norm!r}; choose one of {', '.join(NORMS)}")

    def wrap(layer: nn.Module) -> nn.Module:
        return _spectral_norm(layer) if spectral_norm else layer

    def normalise(maps: int) -> list[nn.Module]:
        if norm == "layer":
            return [nn.GroupNorm(1, maps)]
        if norm == "batch":
            return [nn.BatchNorm2d(maps)]
        return []

    return nn.Sequential(
        wrap(nn.Conv2d(channels, width, kernel_size=4, stride=2, padding=1)),
        *normalise(width),
        _activation(activation),
        wrap(nn.Conv2d(width, 2 * width, kernel_size=4, stride=2, padding=1)),
        *normalise(2 * width),
        _activation(activation),
        nn.Flatten(),
        wrap(nn.Linear(2 * width * base * base, 1)),
    )


def has_batch_norm(module: nn.Module) -> bool:
    """True when ``module`` contains a batch-normalisation layer (which mixes samples of a batch)."""
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules())
