"""Losses as pure functions of network outputs.

Sign convention (that of the WGAN-GP paper, Gulrajani et al. 2017): the critic scores *real*
samples high and fake ones low. Every loss here is a quantity to **minimise**. For the WGAN critic

    critic loss = mean(critic(fake)) - mean(critic(real)),

so its negative, ``mean(critic(real)) - mean(critic(fake))``, is the Wasserstein-1 estimate
(:func:`wasserstein_estimate`). The critic loss is therefore negative once the critic separates
the two sets, and the generator loss ``-mean(critic(fake))`` alone means nothing: a constant added
to the critic shifts it freely. Some reference codes flip both signs (real low, fake high); the
estimate is then ``mean(critic(fake)) - mean(critic(real))``.

Scores may have shape (n,) or (n, 1).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = [
    "gan_discriminator_loss",
    "gan_generator_loss",
    "wgan_critic_loss",
    "wgan_generator_loss",
    "hinge_critic_loss",
    "hinge_generator_loss",
    "wasserstein_estimate",
]


def _scores(x: torch.Tensor, what: str) -> torch.Tensor:
    """Check that ``x`` holds one score per sample, shape (n,) or (n, 1); return it as (n,)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{what} must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() == 1 or (x.dim() == 2 and x.shape[1] == 1):
        if x.shape[0] == 0:
            raise ValueError(f"{what} is empty: a loss needs at least one sample")
        return x.reshape(-1)
    raise ValueError(
        f"{what} must hold one score per sample, shape (n,) or (n, 1); got {tuple(x.shape)}. "
        "Does the critic end in a single output unit?"
    )


def gan_discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of the original GAN's discriminator (Goodfellow et al. 2014, eq. 1):
    ``-mean(log D(real)) - mean(log(1 - D(fake)))`` with ``D = sigmoid(logit)``.

    Computed from logits with log-sigmoid (``log D = -softplus(-logit)``), which never overflows.
    """
    real = _scores(real_logits, "real_logits")
    fake = _scores(fake_logits, "fake_logits")
    return F.softplus(-real).mean() + F.softplus(fake).mean()


def gan_generator_loss(fake_logits: torch.Tensor, saturating: bool = False) -> torch.Tensor:
    """The original GAN's generator loss.

    ``saturating=True``: the minimax loss ``mean(log(1 - D(fake)))``, whose gradient vanishes when
    the discriminator is confident (Goodfellow et al. 2014). ``saturating=False`` (default): the
    non-saturating "-log D trick" ``-mean(log D(fake))``.
    """
    fake = _scores(fake_logits, "fake_logits")
    if saturating:
        return -F.softplus(fake).mean()  # log(1 - sigmoid(l)) = -softplus(l)
    return F.softplus(-fake).mean()  # -log(sigmoid(l)) = softplus(-l)


def wgan_critic_loss(critic_real: torch.Tensor, critic_fake: torch.Tensor) -> torch.Tensor:
    """WGAN critic loss ``mean(critic_fake) - mean(critic_real)`` (Arjovsky et al. 2017, alg. 1).

    Minimising it drives real scores up and fake scores down; its negative is the Wasserstein-1
    estimate (exact only for a 1-Lipschitz critic at its optimum).
    """
    real = _scores(critic_real, "critic_real")
    fake = _scores(critic_fake, "critic_fake")
    return fake.mean() - real.mean()


def wgan_generator_loss(critic_fake: torch.Tensor) -> torch.Tensor:
    """WGAN generator loss ``-mean(critic_fake)``: move fakes to where the critic scores high."""
    return -_scores(critic_fake, "critic_fake").mean()


def hinge_critic_loss(critic_real: torch.Tensor, critic_fake: torch.Tensor) -> torch.Tensor:
    """Hinge critic loss ``mean(relu(1 - real)) + mean(relu(1 + fake))`` (Lim & Ye 2017;
    Miyato et al. 2018). Not a Wasserstein estimate: scores beyond the margins stop counting."""
    real = _scores(critic_real, "critic_real")
    fake = _scores(critic_fake, "critic_fake")
    return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()


def hinge_generator_loss(critic_fake: torch.Tensor) -> torch.Tensor:
    """Hinge generator loss ``-mean(critic_fake)`` (the same form as WGAN's)."""
    return -_scores(critic_fake, "critic_fake").mean()


def wasserstein_estimate(critic_real: torch.Tensor, critic_fake: torch.Tensor) -> torch.Tensor:
    """The critic's Wasserstein-1 estimate ``mean(critic_real) - mean(critic_fake)``.

    Equal to W1 only when the critic is 1-Lipschitz and optimal; under weight clipping it is W1
    times an unknown scale (Arjovsky et al. 2017, section 3).
    """
    real = _scores(critic_real, "critic_real")
    fake = _scores(critic_fake, "critic_fake")
    return real.mean() - fake.mean()
