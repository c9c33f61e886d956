"""One explicit training loop for GANs and WGANs, built from two exposed steps.

``critic_step`` and ``generator_step`` are what a chapter teaches one at a time; ``train_gan`` is
nothing more than ``n_critic`` critic steps then one generator step, repeated, with a history.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from . import losses as L
from .penalties import (
    check_critic_for_penalty,
    clip_weights,
    finite_difference_penalty,
    gradient_penalty,
    r1_penalty,
)

__all__ = ["LOSSES", "History", "critic_step", "generator_step", "make_optimizer", "train_gan"]

#: The losses ``train_gan`` knows, and what each means.
LOSSES = {
    "gan": "minimax GAN, saturating generator loss log(1 - D(G(z)))",
    "nsgan": "GAN with the non-saturating generator loss -log D(G(z))",
    "wgan": "WGAN: critic scores, weight clipping to [-clip, clip] (default 0.01)",
    "wgan-gp": "WGAN with the gradient penalty at interpolates (centre 1)",
    "wgan-fd": "WGAN with the finite-difference penalty (no double backward)",
    "hinge": "hinge loss (use a spectrally normalised critic)",
    "r1": "non-saturating GAN with the zero-centred penalty on real samples (gamma/2 * R1)",
}
_PENALISED = ("wgan-gp", "wgan-fd", "r1")


def _check_loss(loss: str) -> str:
    if loss not in LOSSES:
        known = "; ".join(f"{k!r}: {v}" for k, v in LOSSES.items())
        raise ValueError(f"unknown loss {loss!r}. Known losses: {known}")
    return loss


@dataclass
class History:
    """What happened at each generator step.

    ``wasserstein`` is ``mean(critic(real)) - mean(critic(fake))`` at the last critic step, before
    its update (the critic's Wasserstein-1 estimate for the WGAN losses); ``penalty`` is the unscaled
    penalty and ``grad_norm`` the mean gradient norm at the penalty's points (for "wgan-fd", the mean
    finite-difference slope; nan without a penalty);
    ``seconds`` is the wall-clock time since training began.
    """

    step: list[int] = field(default_factory=list)
    critic_loss: list[float] = field(default_factory=list)
    generator_loss: list[float] = field(default_factory=list)
    wasserstein: list[float] = field(default_factory=list)
    penalty: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.step)

    def append(self, **row: float) -> None:
        for key, value in row.items():
            getattr(self, key).append(value)

    def as_dict(self) -> dict[str, list]:
        """The history as a dict of lists (e.g. for ``pandas.DataFrame``)."""
        return asdict(self)

    def plot(self, **kwargs):
        """Training curves; returns the matplotlib figure (see :func:`wganlib.plot.training_curves`)."""
        from .plot import training_curves

        return training_curves(self, **kwargs)


def make_optimizer(name: str, params, lr: float, betas=(0.0, 0.9)) -> torch.optim.Optimizer:
    """``"adam"`` (with ``betas``), ``"rmsprop"`` (no momentum, as WGAN prescribes) or ``"sgd"``."""
    if name == "adam":
        b1, b2 = (float(b) for b in betas)  # torch refuses a mix such as (0, 0.9)
        return torch.optim.Adam(params, lr=lr, betas=(b1, b2))
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    raise ValueError(f"unknown optimizer {name!r}; choose 'adam', 'rmsprop' or 'sgd'")


def _noise(n: int, latent_dim: int, like: torch.Tensor) -> torch.Tensor:
    return torch.randn(n, latent_dim, device=like.device, dtype=like.dtype)


def critic_step(
    generator: nn.Module,
    critic: nn.Module,
    real: torch.Tensor,
    optimizer: torch.optim.Optimizer,
    *,
    loss: str = "wgan-gp",
    latent_dim: int,
    penalty_weight: float = 10.0,
    clip: float | None = None,
) -> dict[str, float]:
    """One update of the critic on a batch of ``real`` samples and as many fresh fakes.

    Returns the critic loss (penalty included), the Wasserstein estimate, the unscaled penalty and
    the mean gradient norm at the penalty's points (nan when the loss has no penalty).
    """
    _check_loss(loss)
    z = _noise(real.shape[0], latent_dim, real)
    with torch.no_grad():
        fake = generator(z)
    if fake.shape != real.shape:
        raise ValueError(
            f"the generator makes samples of shape {tuple(fake.shape[1:])} but the real data have shape "
            f"{tuple(real.shape[1:])}; check the generator's out_dim"
        )
    s_real, s_fake = critic(real), critic(fake)
    if loss in ("gan", "nsgan", "r1"):
        value = L.gan_discriminator_loss(s_real, s_fake)
    elif loss == "hinge":
        value = L.hinge_critic_loss(s_real, s_fake)
    else:
        value = L.wgan_critic_loss(s_real, s_fake)
    penalty = grad_norm = float("nan")
    if loss == "wgan-gp":
        pen, norms = gradient_penalty(critic, real, fake, return_norms=True)
        value = value + penalty_weight * pen
        penalty, grad_norm = pen.item(), norms.mean().item()
    elif loss == "wgan-fd":
        pen, slopes = finite_difference_penalty(critic, real, fake, return_slopes=True)
        value = value + penalty_weight * pen
        penalty, grad_norm = pen.item(), slopes.mean().item()
    elif loss == "r1":
        pen, norms = r1_penalty(critic, real, return_norms=True)
        value = value + 0.5 * penalty_weight * pen
        penalty, grad_norm = pen.item(), norms.mean().item()
    optimizer.zero_grad(set_to_none=True)
    value.backward()
    optimizer.step()
    if clip is not None:
        clip_weights(critic, clip)
    return {
        "critic_loss": value.item(),
        "wasserstein": L.wasserstein_estimate(s_real.detach(), s_fake.detach()).item(),
        "penalty": penalty,
        "grad_norm": grad_norm,
    }


def generator_step(
    generator: nn.Module,
    critic: nn.Module,
    optimizer: torch.optim.Optimizer,
    *,
    loss: str = "wgan-gp",
    batch_size: int,
    latent_dim: int,
    like: torch.Tensor,
) -> float:
    """One update of the generator on ``batch_size`` fresh fakes; returns the generator loss.

    ``like`` is any tensor on the device and dtype the noise should have (e.g. the last real batch).
    Only the generator's optimizer steps, and no gradient is computed for the critic's weights.
    """
    _check_loss(loss)
    fake = generator(_noise(batch_size, latent_dim, like))
    # the critic's weights get no gradient here: skipping it saves a third of this backward pass
    frozen = [p for p in critic.parameters() if p.requires_grad]
    for p in frozen:
        p.requires_grad_(False)
    try:
        s_fake = critic(fake)
    finally:
        for p in frozen:
            p.requires_grad_(True)
    if loss == "gan":
        value = L.gan_generator_loss(s_fake, saturating=True)
    elif loss in ("nsgan", "r1"):
        value = L.gan_generator_loss(s_fake, saturating=False)
    elif loss == "hinge":
        value = L.hinge_generator_loss(s_fake)
    else:
        value = L.wgan_generator_loss(s_fake)
    optimizer.zero_grad(set_to_none=True)
    value.backward()
    optimizer.step()
    return value.item()


def _latent_dim_of(generator: nn.Module) -> int:
    for m in generator.modules():
        if isinstance(m, nn.Linear):
            return m.in_features
    raise ValueError("cannot infer latent_dim from the generator (no nn.Linear found); pass latent_dim=")


def _model_device(model: nn.Module) -> torch.device:
    p = next(model.parameters(), None)
    return p.device if p is not None else torch.device("cpu")


def train_gan(
    generator: nn.Module,
    critic: nn.Module,
    sample_real: Callable[[int], torch.Tensor],
    *,
    steps: int,
    loss: str = "wgan-gp",
    n_critic: int = 5,
    batch_size: int = 256,
    latent_dim: int | None = None,
    lr: float = 1e-4,
    lr_generator: float | None = None,
    betas: tuple[float, float] = (0.0, 0.9),
    optimizer: str = "adam",
    penalty_weight: float = 10.0,
    clip: float | None = None,
    device=None,
    seed: int | None = None,
    progress: bool = True,
    callback: Callable[[int, History], bool | None] | None = None,
) -> History:
    """Train ``generator`` against ``critic`` for ``steps`` generator updates; return the history.

    Each generator update follows ``n_critic`` critic updates, each on a fresh batch
    ``sample_real(batch_size)`` (any callable returning an (n, ...) tensor: bring your own data).

    Parameters
    ----------
    loss : str
        One of ``LOSSES``: "gan", "nsgan", "wgan" (clips to ``clip``, 0.01 when None), "wgan-gp",
        "hinge", "r1".
    lr, lr_generator : float
        Learning rates of the critic and the generator (``lr_generator`` defaults to ``lr``).
    betas, optimizer : Adam's betas (the WGAN-GP paper: (0, 0.9)); "adam", "rmsprop" or "sgd".
    penalty_weight : float
        lambda of WGAN-GP (paper: 10), or gamma of R1 (the penalty added is gamma / 2 * R1).
    device : optional
        Move both models here; by default the generator's parameters' device is used.
    seed : int, optional
        Run inside ``torch.random.fork_rng`` seeded with ``seed``: the same seed gives the same
        history, and the caller's global random state is left as it was.
    callback : callable, optional
        ``callback(step, history)`` after each generator step; returning True stops training.

    Raises ``FloatingPointError`` naming the step when a loss becomes nan or infinite, and a clear
    ``ValueError`` / ``TypeError`` when ``sample_real(n)`` does not return n rows of the critic's dtype.
    """
    _check_loss(loss)
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    if not isinstance(n_critic, int) or n_critic < 1:
        raise ValueError(f"n_critic must be a positive int, got {n_critic!r}")
    if loss in _PENALISED:
        check_critic_for_penalty(critic)
    if loss == "wgan" and clip is None:
        clip = 0.01
    if loss != "wgan" and clip is not None and loss in _PENALISED:
        raise ValueError(f"clip={clip} with loss={loss!r}: a penalised critic is not clipped; drop clip=")
    dev = torch.device(device) if device is not None else _model_device(generator)
    generator.to(dev)
    critic.to(dev)
    latent_dim = latent_dim if latent_dim is not None else _latent_dim_of(generator)
    opt_c = make_optimizer(optimizer, critic.parameters(), lr, betas)
    opt_g = make_optimizer(optimizer, generator.parameters(), lr_generator or lr, betas)

    cuda_devices = [dev.index or 0] if dev.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda_devices, enabled=seed is not None):
        if seed is not None:
            torch.manual_seed(seed)
        return _loop(
            generator, critic, sample_real, opt_c, opt_g, dev,
            steps=steps, loss=loss, n_critic=n_critic, batch_size=batch_size,
            latent_dim=latent_dim, penalty_weight=penalty_weight, clip=clip,
            progress=progress, callback=callback,
        )  # fmt: skip


def _check_real_batch(real: torch.Tensor, batch_size: int, critic: nn.Module) -> None:
    """Name the two mistakes a first ``sample_real`` makes, before PyTorch reports them obscurely."""
    rows = real.shape[0] if real.dim() > 0 else 0
    if rows != batch_size:
        raise ValueError(
            f"sample_real({batch_size}) returned {rows} rows (shape {tuple(real.shape)}); it must return "
            f"exactly n rows, one sample per row. If your data set has fewer rows than batch_size, lower "
            f"batch_size= or draw rows with replacement, e.g. lambda n: X[torch.randint(len(X), (n,))]"
        )
    weight = next(critic.parameters(), None)
    if weight is not None and real.dtype != weight.dtype:
        raise TypeError(
            f"sample_real returned {real.dtype} data but the critic's weights are {weight.dtype}. "
            f"Return {weight.dtype} tensors from sample_real (x.to({weight.dtype}); a NumPy array is "
            f"float64 by default: torch.as_tensor(x, dtype={weight.dtype})), or convert both models "
            f"with .to(dtype) (float64 on the CPU only: Apple's MPS has no float64)"
        )


def _loop(generator, critic, sample_real, opt_c, opt_g, dev, *, steps, loss, n_critic,
          batch_size, latent_dim, penalty_weight, clip, progress, callback) -> History:  # fmt: skip
    from tqdm.auto import tqdm

    history = History()
    generator.train()
    critic.train()
    start = time.perf_counter()
    bar = tqdm(range(steps), desc=f"train {loss}", disable=not progress, leave=False)
    for step in bar:
        for _ in range(n_critic):
            real = sample_real(batch_size)
            if not isinstance(real, torch.Tensor):
                raise TypeError(f"sample_real must return a torch.Tensor, got {type(real).__name__}")
            _check_real_batch(real, batch_size, critic)
            real = real.to(dev)
            stats = critic_step(
                generator, critic, real, opt_c, loss=loss, latent_dim=latent_dim,
                penalty_weight=penalty_weight, clip=clip,
            )  # fmt: skip
        g_loss = generator_step(
            generator, critic, opt_g, loss=loss, batch_size=batch_size,
            latent_dim=latent_dim, like=real,
        )  # fmt: skip
        if not (math.isfinite(stats["critic_loss"]) and math.isfinite(g_loss)):
            raise FloatingPointError(
                f"training diverged at generator step {step}: critic loss {stats['critic_loss']}, "
                f"generator loss {g_loss}. Likely causes: a learning rate too high for this loss, "
                f"a penalty weight too large, or inputs with nan/inf. Lower lr (now {opt_c.param_groups[0]['lr']}) "
                "or check the data."
            )
        history.append(step=step, generator_loss=g_loss, seconds=time.perf_counter() - start, **stats)
        if progress and step % 50 == 0:
            bar.set_postfix(w=f"{stats['wasserstein']:.3f}")
        if callback is not None and callback(step, history):
            break
    bar.close()
    return history
