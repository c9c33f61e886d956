"""One explicit training loop for GANs and WGANs, built from two exposed steps.

``critic_step`` and ``generator_step`` are what a chapter teaches one at a time; ``train_gan`` is
nothing more than ``n_critic`` critic steps then one generator step, repeated, with a history.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from . import losses as L
from ._helpers import positive_int, seed_value
from .penalties import (
    check_critic_for_penalty,
    clip_weights,
    finite_difference_penalty,
    gradient_penalty,
    r1_penalty,
)
from .runtime import preserved_rng

__all__ = [
    "LOSSES", "LossSpec", "History", "PRESETS", "TOY", "critic_step", "generator_step", "make_optimizer",
    "train_gan",
]  # fmt: skip

Scores = torch.Tensor


@dataclass(frozen=True)
class LossSpec:
    """Everything that one loss means, in one place: ``critic_step``, ``generator_step`` and
    ``train_gan`` read nothing else (``train_gan``'s toy preset, ``TOY``, replaces the training
    defaults below for WGAN-GP on low-dimensional data).

    ``critic_loss(real_scores, fake_scores)`` and ``generator_loss(fake_scores)`` are the losses to
    minimise (:mod:`wganlib.losses`). ``penalty`` names the critic's penalty (``"gp"``: gradient
    penalty at interpolates; ``"fd"``: its finite-difference form; ``"r1"``: zero-centred at real
    samples; None: no penalty); the critic loss adds ``penalty_scale * penalty_weight * penalty``
    (R1's ``gamma / 2`` is ``penalty_scale = 0.5``). ``clip`` is the weight-clipping threshold used when
    ``clip=`` is not given (None: this loss is never clipped, and ``clip=`` is refused). ``optimizer``,
    ``lr``, ``betas`` and ``n_critic`` are the training defaults (``train_gan(preset="paper")``), taken
    from ``source``.
    """

    description: str
    critic_loss: Callable[[Scores, Scores], Scores]
    generator_loss: Callable[[Scores], Scores]
    penalty: str | None = None
    penalty_scale: float = 1.0
    penalty_weight: float | None = None
    clip: float | None = None
    optimizer: str = "adam"
    lr: float = 1e-4
    betas: tuple[float, float] | None = (0.0, 0.9)
    n_critic: int = 5
    source: str = ""


def _saturating(fake: Scores) -> Scores:
    return L.gan_generator_loss(fake, saturating=True)


def _non_saturating(fake: Scores) -> Scores:
    return L.gan_generator_loss(fake, saturating=False)


_DCGAN = dict(optimizer="adam", lr=2e-4, betas=(0.5, 0.999), n_critic=1)
_WGAN_GP = dict(optimizer="adam", lr=1e-4, betas=(0.0, 0.9), n_critic=5)

#: The losses ``critic_step``, ``generator_step`` and ``train_gan`` know. A new loss is one entry.
LOSSES: dict[str, LossSpec] = {
    "gan": LossSpec(
        "minimax GAN, saturating generator loss log(1 - D(G(z)))",
        L.gan_discriminator_loss, _saturating, **_DCGAN,
        source="Goodfellow et al. 2014; optimiser of DCGAN, Radford et al. 2016",
    ),
    "nsgan": LossSpec(
        "GAN with the non-saturating generator loss -log D(G(z))",
        L.gan_discriminator_loss, _non_saturating, **_DCGAN,
        source="Goodfellow et al. 2014; optimiser of DCGAN, Radford et al. 2016",
    ),
    "wgan": LossSpec(
        "WGAN: critic scores, weight clipping to [-clip, clip] (default 0.01), RMSProp",
        L.wgan_critic_loss, L.wgan_generator_loss, clip=0.01,
        optimizer="rmsprop", lr=5e-5, betas=None, n_critic=5,
        source="Arjovsky et al. 2017, algorithm 1",
    ),
    "wgan-gp": LossSpec(
        "WGAN with the gradient penalty at interpolates (centre 1, lambda 10)",
        L.wgan_critic_loss, L.wgan_generator_loss, penalty="gp", penalty_weight=10.0, **_WGAN_GP,
        source="Gulrajani et al. 2017, algorithm 1",
    ),
    "wgan-fd": LossSpec(
        "WGAN with the finite-difference penalty (no double backward; lambda 10)",
        L.wgan_critic_loss, L.wgan_generator_loss, penalty="fd", penalty_weight=10.0, **_WGAN_GP,
        source="the gradient penalty's settings (Gulrajani et al. 2017)",
    ),
    "hinge": LossSpec(
        "hinge loss (use a spectrally normalised critic)",
        L.hinge_critic_loss, L.hinge_generator_loss, **_WGAN_GP,
        source="Lim & Ye 2017; Miyato et al. 2018 (n_dis = 5, Adam betas (0, 0.9))",
    ),
    "r1": LossSpec(
        "non-saturating GAN with the zero-centred penalty on real samples (gamma/2 * R1, gamma 10)",
        L.gan_discriminator_loss, _non_saturating, penalty="r1", penalty_scale=0.5, penalty_weight=10.0,
        optimizer="adam", lr=1e-4, betas=(0.0, 0.9), n_critic=1,
        source="Mescheder et al. 2018, eq. 9",
    ),
}


def _spec(loss: str) -> LossSpec:
    if loss not in LOSSES:
        known = "; ".join(f"{k!r}: {v.description}" for k, v in LOSSES.items())
        raise ValueError(f"unknown loss {loss!r}. Known losses: {known}")
    return LOSSES[loss]


def _resolve_clip(spec: LossSpec, loss: str, clip: float | None) -> float | None:
    """The clipping threshold for ``loss``: ``clip`` if given (only where the loss clips), else its default."""
    if clip is None:
        return spec.clip
    if spec.clip is None:
        raise ValueError(
            f"clip={clip} with loss={loss!r}: only loss='wgan' clips the critic's weights "
            f"({'a penalised critic is not clipped' if spec.penalty else 'this loss never clips'}); drop clip="
        )
    if isinstance(clip, bool) or not isinstance(clip, (int, float)) or not clip > 0 or not math.isfinite(clip):
        raise ValueError(f"clip must be a positive number (the paper's 0.01), got {clip!r}")
    return float(clip)


def _resolve_weight(spec: LossSpec, loss: str, penalty_weight: float | None) -> float:
    if penalty_weight is None:
        return spec.penalty_weight if spec.penalty else 0.0
    if spec.penalty is None:
        raise ValueError(
            f"penalty_weight={penalty_weight} with loss={loss!r}, which has no penalty: drop penalty_weight= "
            "or choose a penalised loss ('wgan-gp', 'wgan-fd', 'r1')"
        )
    if isinstance(penalty_weight, bool) or not isinstance(penalty_weight, (int, float)) or not (
        penalty_weight >= 0 and math.isfinite(penalty_weight)
    ):
        raise ValueError(f"penalty_weight must be a finite number >= 0, got {penalty_weight!r}")
    return float(penalty_weight)


@dataclass
class History:
    """What happened at each generator step.

    ``wasserstein`` is ``mean(critic(real)) - mean(critic(fake))`` at the last critic step, before
    its update (the critic's Wasserstein-1 estimate for the WGAN losses); ``penalty`` is the unscaled
    penalty and ``grad_norm`` the mean gradient norm at the penalty's points (for "wgan-fd", the mean
    finite-difference slope; nan without a penalty);
    ``seconds`` is the wall-clock time since training began (on a GPU, ``train_gan`` does not wait for
    the device at every step, so it is the time at which the step was queued; the last entry of a run
    is close to the true time, because the statistics are moved to the host at the end).

    ``average`` (not part of :meth:`as_dict`): with ``train_gan(..., ema=beta)``, a copy of the
    generator whose weights are the exponential moving average of the generator's; None otherwise.
    ``settings`` (not part of :meth:`as_dict` either): what ``train_gan`` trained with (its preset,
    loss, steps, seed, optimiser, rates, betas, ``n_critic``, penalty weight, clipping, ...).
    """

    average = None  # plain attributes, not dataclass fields: a model and a dict, not series
    settings = None

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
    """``"adam"`` (with ``betas``), ``"rmsprop"`` (no momentum, as WGAN prescribes) or ``"sgd"``.

    ``betas`` belong to Adam only: passing them (not None) with another optimiser is an error.
    On the CPU the update runs in PyTorch's batched ("foreach") form, which gives the same numbers as
    its default loop over tensors there, in less time (an Adam step for a 64-256-256-1 perceptron:
    0.56 ms against 1.04 ms, one thread); on CUDA it is PyTorch's default already.
    """
    params = list(params)
    on_cpu = params and all(isinstance(p, torch.Tensor) and p.device.type == "cpu" for p in params)
    fast = {"foreach": True} if on_cpu else {}
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not (lr >= 0 and math.isfinite(lr)):
        raise ValueError(f"a learning rate must be a finite number >= 0, got {lr!r}")
    if name == "adam":
        b1, b2 = (float(b) for b in (betas if betas is not None else (0.0, 0.9)))  # torch refuses (0, 0.9)
        return torch.optim.Adam(params, lr=lr, betas=(b1, b2), **fast)
    if name in ("rmsprop", "sgd") and betas is not None:
        raise ValueError(
            f"betas={tuple(betas)} with optimizer={name!r}: betas are Adam's; drop betas= or use optimizer='adam'"
        )
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, **fast)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, **fast)
    raise ValueError(f"unknown optimizer {name!r}; choose 'adam', 'rmsprop' or 'sgd'")


def _noise(n: int, latent_dim: int, like: torch.Tensor | nn.Module) -> torch.Tensor:
    if isinstance(like, nn.Module):
        p = next(like.parameters(), None)
        device, dtype = (p.device, p.dtype) if p is not None else (torch.device("cpu"), torch.get_default_dtype())
    else:
        device, dtype = like.device, like.dtype
    return torch.randn(n, latent_dim, device=device, dtype=dtype)


def _penalty(spec: LossSpec, critic: nn.Module, real: torch.Tensor, fake: torch.Tensor):
    """The loss's penalty as a Penalty(penalty, norms), or None."""
    if spec.penalty == "gp":
        return gradient_penalty(critic, real, fake, return_norms=True)
    if spec.penalty == "fd":
        return finite_difference_penalty(critic, real, fake, return_norms=True)
    if spec.penalty == "r1":
        return r1_penalty(critic, real, return_norms=True)
    return None


def critic_step(
    generator: nn.Module,
    critic: nn.Module,
    real: torch.Tensor,
    optimizer: torch.optim.Optimizer,
    *,
    loss: str = "wgan-gp",
    latent_dim: int | None = None,
    penalty_weight: float | None = None,
    clip: float | None = None,
) -> dict[str, float]:
    """One update of the critic on a batch of ``real`` samples and as many fresh fakes.

    The loss, its penalty (and scale) and its clipping come from ``LOSSES[loss]``: e.g. ``loss="wgan"``
    clips to 0.01 unless ``clip=`` says otherwise, ``loss="r1"`` adds ``penalty_weight / 2 * R1``.
    ``latent_dim`` defaults to the input size of the generator's first linear layer; the noise is
    drawn from PyTorch's global generator on ``real``'s device and dtype.

    Returns the critic loss (penalty included), the Wasserstein estimate
    ``mean(critic(real)) - mean(critic(fake))`` before the update, the unscaled penalty and the mean
    gradient norm at the penalty's points (both nan when the loss has no penalty).
    """
    spec = _spec(loss)
    clip = _resolve_clip(spec, loss, clip)
    weight = _resolve_weight(spec, loss, penalty_weight)
    if not isinstance(real, torch.Tensor):
        raise TypeError(f"real must be a torch.Tensor of samples, got {type(real).__name__}")
    latent_dim = latent_dim if latent_dim is not None else _latent_dim_of(generator)
    stats = _critic_update(spec, generator, critic, real, optimizer, weight, clip, latent_dim)
    return dict(zip(_CRITIC_FIELDS, stats.tolist(), strict=True))  # one transfer from the device


_CRITIC_FIELDS = ("critic_loss", "wasserstein", "penalty", "grad_norm")


def _critic_update(spec, generator, critic, real, optimizer, weight, clip, latent_dim) -> torch.Tensor:
    """The critic's update on ``real`` and as many fresh fakes; returns its statistics
    (``_CRITIC_FIELDS``) as one tensor on the device, so that a loop can gather them without waiting
    for the device at every step."""
    z = _noise(real.shape[0], latent_dim, real)
    with torch.no_grad():
        fake = generator(z)
    if fake.shape != real.shape:
        raise ValueError(
            f"the generator makes samples of shape {tuple(fake.shape[1:])} but the real data have shape "
            f"{tuple(real.shape[1:])}; check the generator's out_dim"
        )
    s_real, s_fake = critic(real), critic(fake)
    value = spec.critic_loss(s_real, s_fake)
    result = _penalty(spec, critic, real, fake)
    if result is not None:
        value = value + spec.penalty_scale * weight * result.penalty
        penalty, grad_norm = result.penalty.detach(), result.norms.detach().mean()
    else:
        penalty = grad_norm = torch.full((), float("nan"), device=value.device)
    optimizer.zero_grad(set_to_none=True)
    value.backward()
    optimizer.step()
    if clip is not None:
        clip_weights(critic, clip)
    estimate = L.wasserstein_estimate(s_real.detach(), s_fake.detach())
    return torch.stack([t.to(value.dtype) for t in (value.detach(), estimate, penalty, grad_norm)])


def generator_step(
    generator: nn.Module,
    critic: nn.Module,
    optimizer: torch.optim.Optimizer,
    *,
    loss: str = "wgan-gp",
    batch_size: int,
    latent_dim: int | None = None,
    like: torch.Tensor | None = None,
) -> float:
    """One update of the generator on ``batch_size`` fresh fakes; returns the generator loss
    (``LOSSES[loss].generator_loss``).

    The noise takes the device and dtype of ``like`` (any tensor, e.g. the last real batch) or, when
    None, of the generator's parameters; ``latent_dim`` defaults to the generator's input size.
    Only the generator's optimizer steps, and no gradient is computed for the critic's weights.
    """
    spec = _spec(loss)
    batch_size = positive_int(batch_size, "batch_size")
    latent_dim = latent_dim if latent_dim is not None else _latent_dim_of(generator)
    return _generator_update(spec, generator, critic, optimizer, batch_size, latent_dim, like).item()


def _generator_update(spec, generator, critic, optimizer, batch_size, latent_dim, like) -> torch.Tensor:
    """The generator's update; returns its loss as a tensor on the device (no synchronisation)."""
    fake = generator(_noise(batch_size, latent_dim, like if like is not None else generator))
    # the critic's weights get no gradient here: skipping it saves a third of this backward pass
    frozen = [p for p in critic.parameters() if p.requires_grad]
    for p in frozen:
        p.requires_grad_(False)
    try:
        s_fake = critic(fake)
    finally:
        for p in frozen:
            p.requires_grad_(True)
    value = spec.generator_loss(s_fake)
    optimizer.zero_grad(set_to_none=True)
    value.backward()
    optimizer.step()
    return value.detach()


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
    n_critic: int | None = None,
    batch_size: int = 256,
    latent_dim: int | None = None,
    lr: float | None = None,
    lr_generator: float | None = None,
    betas: tuple[float, float] | None = None,
    optimizer: str | None = None,
    penalty_weight: float | None = None,
    clip: float | None = None,
    device=None,
    seed: int | None = None,
    progress: bool = True,
    callback: Callable[[int, History], bool | None] | None = None,
    ema: float | None = None,
    lr_decay: str | None = None,
    preset: str = "auto",
) -> History:
    """Train ``generator`` against ``critic`` for ``steps`` generator updates; return the history.

    Each generator update follows ``n_critic`` critic updates (:func:`critic_step`), each on a fresh
    batch ``sample_real(batch_size)`` (any callable returning an (n, ...) tensor: bring your own data),
    then one :func:`generator_step`.

    Parameters
    ----------
    loss : str
        A key of ``LOSSES``: "gan", "nsgan", "wgan", "wgan-gp", "wgan-fd", "hinge", "r1".
    preset : "auto", "paper" or "toy"
        Where the settings left at None come from. ``"paper"``: the loss's entry in ``LOSSES``, its
        optimiser, learning rate, betas, ``n_critic``, penalty weight and clipping, at constant rates
        (e.g. "wgan": RMSProp, lr 5e-5, clip 0.01, n_critic 5, as in Arjovsky et al. 2017; "wgan-gp":
        Adam, lr 1e-4, betas (0, 0.9), lambda 10, n_critic 5, as in Gulrajani et al. 2017). ``"toy"``:
        the recipe ``TOY`` for low-dimensional data ("wgan-gp" only; Adam 2e-3, betas (0, 0.9),
        lambda 1, n_critic 5, rates falling linearly to 0 over ``steps``), measured over seeds in
        ``benchmarks/recipes.py``. ``"auto"`` (the default): "toy" for "wgan-gp" when a sample has at
        most ``LOW_DIMENSIONAL`` (5) numbers and none of ``optimizer``, ``lr``, ``lr_generator``,
        ``betas``, ``n_critic``, ``penalty_weight``, ``lr_decay`` is passed; else "paper". (Settings
        of your own go on top of the published ones, never on top of half a recipe.) To see the data's
        size, "auto" draws the first real batch before the optimisers are made; it is the first batch
        the critic trains on. ``history.settings`` records what was used.
    lr, lr_generator : float
        Learning rates of the critic and the generator (``lr_generator`` defaults to ``lr``; 0 is a
        valid rate: it freezes that network).
    betas, optimizer : Adam's betas (refused with another optimiser); "adam", "rmsprop" or "sgd".
    penalty_weight : float
        lambda of WGAN-GP, or gamma of R1 (the penalty added is gamma / 2 * R1); refused for a loss
        without a penalty.
    clip : float
        Weight-clipping threshold; only with loss="wgan".
    device : optional
        Move both models here; by default the generator's parameters' device is used.
    seed : int, optional
        Seed PyTorch's global generators with ``seed`` for the run: the same seed gives the same
        history, and the caller's random state is restored afterwards on every device (CPU, every
        CUDA device, MPS).
    callback : callable, optional
        ``callback(step, history)`` after each generator step; returning True stops training.
    ema : float in (0, 1), optional
        Keep an exponential moving average of the generator's weights, returned as
        ``history.average`` (a copy of the generator; buffers are copied, not averaged). After update
        ``t`` (from 0) the average moves towards the weights by ``1 - beta_t`` with
        ``beta_t = min(ema, (t + 1) / (t + 10))``, so that early averages do not remember the random
        initialisation. An average over the last ``1 / (1 - ema)`` updates or so smooths the
        generator's oscillation around the game's equilibrium (Yazici et al. 2019).
    lr_decay : "linear" or "constant", optional
        "linear" lowers both learning rates linearly from their value at the first update towards 0
        after the last (``lr * (1 - t / steps)`` at update ``t``); "constant" keeps them; None: the
        preset's ("linear" for "toy", "constant" for "paper").

    Raises ``FloatingPointError`` naming the step when a loss becomes nan or infinite, and a clear
    ``ValueError`` / ``TypeError`` when ``sample_real(n)`` does not return n rows of the critic's dtype.
    """
    spec = _spec(loss)
    steps = positive_int(steps, "steps")
    if seed is not None:
        seed = seed_value(seed)
    if preset not in ("auto", *PRESETS):
        raise ValueError(f"unknown preset {preset!r}; choose 'auto', " + ", ".join(map(repr, PRESETS)))
    if preset == "toy" and loss not in TOY_LOSSES:
        raise ValueError(
            f"preset='toy' was measured for loss {' or '.join(map(repr, TOY_LOSSES))} only, not {loss!r}; "
            "use preset='paper' (the loss's published settings) or pass the settings yourself"
        )
    if n_critic is not None:
        n_critic = positive_int(n_critic, "n_critic")
    batch_size = positive_int(batch_size, "batch_size")
    clip = _resolve_clip(spec, loss, clip)
    if penalty_weight is not None:  # refuses a weight for a loss without a penalty
        penalty_weight = _resolve_weight(spec, loss, penalty_weight)
    if spec.penalty is not None:
        check_critic_for_penalty(critic)
    dev = torch.device(device) if device is not None else _model_device(generator)
    generator.to(dev)
    critic.to(dev)
    latent_dim = latent_dim if latent_dim is not None else _latent_dim_of(generator)
    if ema is not None and (isinstance(ema, bool) or not isinstance(ema, (int, float)) or not 0 < ema < 1):
        raise ValueError(f"ema must be a number strictly between 0 and 1 (e.g. 0.999), got {ema!r}")
    if lr_decay not in (None, "constant", "linear"):
        raise ValueError(f"lr_decay must be 'constant', 'linear' or None (the preset's), got {lr_decay!r}")
    given = dict(optimizer=optimizer, lr=lr, betas=betas, n_critic=n_critic, penalty_weight=penalty_weight,
                 lr_decay=lr_decay)  # fmt: skip
    # "auto" considers the toy recipe only when no training setting is passed: settings of one's own
    # go on top of the loss's published ones, never on top of half a recipe
    own = any(v is not None for v in (*given.values(), lr_generator))
    peek = preset == "auto" and loss in TOY_LOSSES and not own

    def run() -> History:
        # with "auto", the first batch is drawn before the optimisers are made, to see the data's size;
        # it is the first batch the critic trains on (the same random numbers, in the same order)
        first = _real_batch(sample_real, batch_size, critic, dev) if peek else None
        chosen = preset if preset != "auto" else ("toy" if peek and _low_dimensional(first) else "paper")
        s = _preset_settings(chosen, spec, given)
        lr_g = s["lr"] if lr_generator is None else lr_generator
        opt_c = make_optimizer(s["optimizer"], critic.parameters(), s["lr"], s["betas"])
        opt_g = make_optimizer(s["optimizer"], generator.parameters(), lr_g, s["betas"])
        settings = dict(
            steps=steps, loss=loss, n_critic=s["n_critic"], batch_size=batch_size, latent_dim=latent_dim,
            penalty_weight=s["penalty_weight"] if spec.penalty else None, clip=clip, progress=progress,
            callback=callback, ema=ema, lr_decay=s["lr_decay"], first=first,
        )  # fmt: skip
        history = _loop(generator, critic, sample_real, opt_c, opt_g, dev, **settings)
        history.settings = dict(preset=chosen, loss=loss, steps=steps, seed=seed, optimizer=s["optimizer"],
                                lr=s["lr"], lr_generator=lr_g, betas=s["betas"], n_critic=s["n_critic"],
                                penalty_weight=settings["penalty_weight"], clip=clip, lr_decay=s["lr_decay"],
                                ema=ema, batch_size=batch_size, latent_dim=latent_dim)  # fmt: skip
        return history

    if seed is None:
        return run()
    with preserved_rng():
        torch.manual_seed(seed)  # every device's generator
        return run()


#: The named bundles of training settings that ``train_gan(preset=...)`` knows.
PRESETS = {
    "paper": "each loss's published settings (its entry in LOSSES), constant learning rates",
    "toy": "the book's recipe for low-dimensional data (WGAN-GP): Adam(2e-3, betas (0, 0.9)) for both "
    "networks, falling linearly to 0 over the run, lambda 1, n_critic 5",
}
#: The recipe behind ``preset="toy"``, found by measurement over seeds with chapter 4's networks
#: (``benchmarks/recipes.py``; the table and what each change did are in ``benchmarks/README.md``).
#: Each value and why:
TOY = dict(
    optimizer="adam",
    lr=2e-3,  # 20x the paper's 1e-4: points one to two units apart must travel across the plane in time
    betas=(0.0, 0.9),  # no momentum (the paper's beta1): with 0.5 the generator swung across the plane
    penalty_weight=1.0,  # chapter 4's search: lambda 10 was clearly worse here, 0.1 no better
    n_critic=5,  # the paper's; chapter 4's search: 2 critic steps per generator step were much worse
    lr_decay="linear",  # at constant rates the generator kept swinging (2-20 of 25 modes; its average: 25)
)
#: The losses that ``preset="toy"`` was measured for.
TOY_LOSSES = ("wgan-gp",)
#: ``preset="auto"`` takes the toy recipe when a sample has at most this many numbers (measured on 2-,
#: 3- and 5-dimensional mixtures), and the paper's settings otherwise (images, the protein features).
LOW_DIMENSIONAL = 5


def _low_dimensional(first: torch.Tensor) -> bool:
    return first.dim() > 0 and first.shape[0] > 0 and first[0].numel() <= LOW_DIMENSIONAL


def _preset_settings(preset: str, spec: LossSpec, given: dict) -> dict:
    """The preset's settings, with every explicitly given one (not None, already checked) taking precedence."""
    if preset == "toy":
        base = dict(TOY)
    else:
        base = dict(optimizer=spec.optimizer, lr=spec.lr, betas=spec.betas, n_critic=spec.n_critic,
                    penalty_weight=spec.penalty_weight, lr_decay="constant")  # fmt: skip
    out = {key: (given[key] if given[key] is not None else value) for key, value in base.items()}
    if given["betas"] is None:  # Adam's betas: the preset's when it uses Adam, else (0, 0.9); none otherwise
        adam = base["betas"] if base["betas"] is not None else (0.0, 0.9)
        out["betas"] = adam if out["optimizer"] == "adam" else None
    if given["penalty_weight"] is None and not spec.penalty:
        out["penalty_weight"] = 0.0
    return out


def _real_batch(sample_real, batch_size: int, critic: nn.Module, dev) -> torch.Tensor:
    """One batch ``sample_real(batch_size)``, checked (:func:`_check_real_batch`) and moved to ``dev``."""
    real = sample_real(batch_size)
    if not isinstance(real, torch.Tensor):
        raise TypeError(f"sample_real must return a torch.Tensor, got {type(real).__name__}")
    _check_real_batch(real, batch_size, critic)
    return real.to(dev)


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


def _update_average(average: nn.Module, model: nn.Module, beta: float) -> None:
    """``average <- beta * average + (1 - beta) * model`` for the weights; buffers are copied."""
    with torch.no_grad():
        for a, p in zip(average.parameters(), model.parameters(), strict=True):
            a.lerp_(p, 1.0 - beta)
        for a, b in zip(average.buffers(), model.buffers(), strict=True):
            a.copy_(b)


def _loop(generator, critic, sample_real, opt_c, opt_g, dev, *, steps, loss, n_critic, batch_size,
          latent_dim, penalty_weight, clip, progress, callback, ema, lr_decay, first=None) -> History:  # fmt: skip
    from tqdm.auto import tqdm

    spec = _spec(loss)
    history = History()
    if ema is not None:
        history.average = copy.deepcopy(generator)
        history.average.requires_grad_(False)
    base_lr = [[g["lr"] for g in opt.param_groups] for opt in (opt_c, opt_g)]
    pending: list[tuple[int, float, torch.Tensor]] = []  # (step, seconds, statistics on the device)

    def flush() -> None:
        # move the pending statistics to the host in one transfer (the only wait for a GPU), append
        # them to the history, and stop at the first step whose losses are not finite
        if not pending:
            return
        rows = torch.stack([row for _, _, row in pending]).tolist()
        for (step, seconds, _), values in zip(pending, rows, strict=True):
            row = dict(zip((*_CRITIC_FIELDS, "generator_loss"), values, strict=True))
            if not (math.isfinite(row["critic_loss"]) and math.isfinite(row["generator_loss"])):
                pending.clear()
                raise FloatingPointError(
                    f"training diverged at generator step {step}: critic loss {row['critic_loss']}, "
                    f"generator loss {row['generator_loss']}. Likely causes: a learning rate too high for "
                    f"this loss, a penalty weight too large, or inputs with nan/inf. Lower lr (now "
                    f"{opt_c.param_groups[0]['lr']}) or check the data."
                )
            history.append(step=step, seconds=seconds, **row)
        pending.clear()

    generator.train()
    critic.train()
    start = time.perf_counter()
    bar = tqdm(range(steps), desc=f"train {loss}", disable=not progress, leave=False)
    for step in bar:
        if lr_decay == "linear":
            for opt, rates in zip((opt_c, opt_g), base_lr, strict=True):
                for group, rate in zip(opt.param_groups, rates, strict=True):
                    group["lr"] = rate * (1.0 - step / steps)
        for _ in range(n_critic):
            if first is not None:  # the batch train_gan drew (and checked) before the loop
                real, first = first, None
            else:
                real = _real_batch(sample_real, batch_size, critic, dev)
            stats = _critic_update(spec, generator, critic, real, opt_c, penalty_weight, clip, latent_dim)
        g_loss = _generator_update(spec, generator, critic, opt_g, batch_size, latent_dim, real)
        if history.average is not None:
            _update_average(history.average, generator, min(ema, (step + 1) / (step + 10)))
        pending.append((step, time.perf_counter() - start, torch.cat([stats, g_loss.reshape(1).to(stats.dtype)])))
        # without a callback the statistics wait on the device, FLUSH_EVERY steps at a time
        if callback is not None or len(pending) >= FLUSH_EVERY or (progress and step % 50 == 0):
            flush()
        if progress and step % 50 == 0:
            bar.set_postfix(w=f"{history.wasserstein[-1]:.3f}")
        if callback is not None and callback(step, history):
            break
    flush()
    bar.close()
    return history


FLUSH_EVERY = 25
"""``train_gan`` gathers the statistics of this many generator steps before moving them off the device
(one transfer instead of one per statistic and step); a non-finite loss is reported at the next
transfer, naming the step where it first appeared. With a ``callback`` every step is transferred, so
that the callback sees the whole history."""
