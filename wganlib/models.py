"""Small multilayer perceptrons for generators and critics."""

from __future__ import annotations

from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _spectral_norm

__all__ = ["mlp_generator", "mlp_critic", "has_batch_norm", "NORMS", "ACTIVATIONS"]

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
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{key} must be a positive int, got {value!r}")


def _activation(name: str) -> nn.Module:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]()


def mlp_generator(
    latent_dim: int,
    out_dim: int,
    hidden: int = 256,
    depth: int = 3,
    activation: str = "relu",
) -> nn.Sequential:
    """A generator: ``depth`` hidden layers of ``hidden`` units, then a linear output.

    Maps noise of shape (n, latent_dim) to samples of shape (n, out_dim).
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
    hidden: int = 256,
    depth: int = 3,
    norm: str = "none",
    spectral_norm: bool = False,
    activation: str = "relu",
) -> nn.Sequential:
    """A critic (or discriminator): ``depth`` hidden layers, then one linear output unit.

    Returns scores of shape (n, 1); no sigmoid, so a GAN discriminator's output is a logit.

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


def has_batch_norm(module: nn.Module) -> bool:
    """True when ``module`` contains a batch-normalisation layer (which mixes samples of a batch)."""
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules())
