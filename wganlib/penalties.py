"""Ways to keep a critic Lipschitz: gradient penalties and weight clipping."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch
from torch import nn

from .models import has_batch_norm

__all__ = [
    "Penalty",
    "interpolates",
    "gradient_norms",
    "gradient_penalty",
    "r1_penalty",
    "finite_difference_penalty",
    "clip_weights",
    "check_critic_for_penalty",
]

Critic = Callable[[torch.Tensor], torch.Tensor]


class Penalty(NamedTuple):
    """What a penalty returns with ``return_norms=True`` (like ``torch.max(x, dim)``'s named tuple).

    ``penalty``: the unscaled penalty, a scalar tensor that backpropagates into the critic's weights.
    ``norms``: per-sample gradient norms at the penalty's points, detached, shape (n,) (for the
    finite-difference penalty, the per-pair slopes that stand in for them).
    """

    penalty: torch.Tensor
    norms: torch.Tensor

_NORM_LAYERS = (
    nn.modules.batchnorm._BatchNorm,
    nn.modules.instancenorm._InstanceNorm,
    nn.LayerNorm,
    nn.GroupNorm,
    nn.LocalResponseNorm,
)


def check_critic_for_penalty(critic: Critic) -> None:
    """Refuse a critic with BatchNorm under a per-sample gradient penalty.

    BatchNorm makes each score depend on the whole batch, so the gradient at one sample is not the
    critic's gradient there and the penalty constrains the wrong thing (Gulrajani et al. 2017, sec. 4).
    """
    if isinstance(critic, nn.Module) and has_batch_norm(critic):
        raise ValueError(
            "this critic contains BatchNorm, which mixes the samples of a batch: the gradient at one "
            "sample then depends on the others and the per-sample gradient penalty is wrong. Build the "
            "critic without it, e.g. wganlib.models.mlp_critic(..., norm='layer') or "
            "wganlib.models.conv_critic(..., norm='layer') (LayerNorm is per sample)."
        )


def _check_pair(real: torch.Tensor, fake: torch.Tensor) -> None:
    for name, t in (("real", real), ("fake", fake)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
        if t.dim() < 2:
            raise ValueError(f"{name} must have shape (n, ...) with one sample per row; got {tuple(t.shape)}")
    if real.shape != fake.shape:
        raise ValueError(
            f"real and fake must have the same shape to be paired for interpolation; "
            f"got {tuple(real.shape)} and {tuple(fake.shape)}"
        )
    if real.device != fake.device:
        raise ValueError(f"real is on {real.device} but fake is on {fake.device}; move both to one device")


def _draw_alpha(real: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """One uniform weight per sample, shape (n, 1, ..., 1), on ``real``'s device and dtype."""
    shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    if generator is not None and generator.device != real.device:
        raise ValueError(f"generator is on {generator.device} but the data are on {real.device}")
    return torch.rand(shape, generator=generator, device=real.device, dtype=real.dtype)


def interpolates(
    real: torch.Tensor,
    fake: torch.Tensor,
    alpha: torch.Tensor | None = None,
    *,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Points ``alpha * real + (1 - alpha) * fake`` on the segments between paired samples, as in
    Algorithm 1 of Gulrajani et al. (2017): ``x_hat = eps x + (1 - eps) x_tilde``, so ``alpha = 1``
    gives the real sample and ``alpha = 0`` the fake one.

    ``alpha`` has one value per sample, shape (n,) or (n, 1, ...); drawn from U[0, 1] when None.
    """
    _check_pair(real, fake)
    if alpha is None:
        alpha = _draw_alpha(real, generator)
    elif not isinstance(alpha, torch.Tensor):
        raise TypeError(f"alpha must be a torch.Tensor with one weight per sample, got {type(alpha).__name__}")
    elif alpha.dim() == 0 or alpha.shape[0] != real.shape[0] or alpha[0].numel() != 1:
        raise ValueError(
            f"alpha must hold one weight per sample, shape ({real.shape[0]}, 1); got {tuple(alpha.shape)}"
        )
    else:
        alpha = alpha.reshape((real.shape[0],) + (1,) * (real.dim() - 1)).to(real)
    return alpha * real + (1 - alpha) * fake


def _scores_of(critic: Critic, x: torch.Tensor) -> torch.Tensor:
    out = critic(x)
    if not (out.dim() == 1 or (out.dim() == 2 and out.shape[1] == 1)) or out.shape[0] != x.shape[0]:
        raise ValueError(
            f"the critic must return one score per sample, shape ({x.shape[0]},) or ({x.shape[0]}, 1); "
            f"got {tuple(out.shape)}"
        )
    return out


def gradient_norms(critic: Critic, x: torch.Tensor, *, create_graph: bool = False) -> torch.Tensor:
    """Per-sample norms ``||grad_x critic(x)||_2``, shape (n,). With ``create_graph=True`` the result
    can be differentiated again (as a penalty needs)."""
    if x.dim() < 2:
        raise ValueError(f"x must have shape (n, ...) with one sample per row; got {tuple(x.shape)}")
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        out = _scores_of(critic, x)
        grad = None
        if out.requires_grad:  # a critic whose output ignores x has zero gradient
            (grad,) = torch.autograd.grad(out.sum(), x, create_graph=create_graph, allow_unused=True)
    if grad is None:  # the critic ignores its input: the gradient is zero
        return torch.zeros(x.shape[0], device=x.device, dtype=x.dtype)
    # sqrt(sum + tiny) keeps the backward pass finite where the gradient is exactly zero
    sq = grad.flatten(1).pow(2).sum(dim=1)
    return torch.sqrt(sq + torch.finfo(sq.dtype).tiny)


def gradient_penalty(
    critic: Critic,
    real: torch.Tensor,
    fake: torch.Tensor,
    *,
    alpha: torch.Tensor | None = None,
    centre: float = 1.0,
    one_sided: bool = False,
    generator: torch.Generator | None = None,
    return_norms: bool = False,
) -> torch.Tensor | Penalty:
    """The gradient penalty of WGAN-GP (Gulrajani et al. 2017, eq. 3), unscaled:
    ``mean((||grad critic(x_hat)|| - centre)^2)`` at ``x_hat = alpha * real + (1 - alpha) * fake``.

    Parameters
    ----------
    critic : callable
        Maps (n, ...) to scores (n,) or (n, 1). Must not contain BatchNorm.
    real, fake : Tensor, shape (n, ...)
        Paired samples; gradients are not propagated into them (the penalty trains the critic).
    alpha : Tensor, shape (n, 1), optional
        One interpolation weight per sample, the weight of the REAL sample (the paper's epsilon);
        drawn from U[0, 1] on ``real``'s device when None.
    centre : float
        The target norm: 1 for WGAN-GP, 0 for a zero-centred penalty at interpolates.
    one_sided : bool
        Penalise only norms above ``centre``: ``mean(relu(norm - centre)^2)`` (paper, appendix).
    return_norms : bool
        Return a :class:`Penalty` ``(penalty, norms)`` with the per-sample gradient norms (detached),
        shape (n,), instead of the penalty alone.

    Multiply by lambda (the paper uses 10) before adding it to the critic loss.
    """
    check_critic_for_penalty(critic)
    x_hat = interpolates(real.detach(), fake.detach(), alpha, generator=generator)
    norms = gradient_norms(critic, x_hat, create_graph=True)
    gap = norms - centre
    if one_sided:
        gap = torch.relu(gap)
    penalty = gap.pow(2).mean()
    return Penalty(penalty, norms.detach()) if return_norms else penalty


def r1_penalty(critic: Critic, x: torch.Tensor, *, return_norms: bool = False) -> torch.Tensor | Penalty:
    """The zero-centred penalty ``mean(||grad critic(x)||^2)`` at the given points, unscaled.

    At real samples this is R1 (Mescheder et al. 2018, eq. 9, which scales it by gamma / 2); at fake
    samples it is R2. ``return_norms=True`` returns a :class:`Penalty` ``(penalty, norms)``.
    """
    check_critic_for_penalty(critic)
    norms = gradient_norms(critic, x, create_graph=True)
    penalty = norms.pow(2).mean()
    return Penalty(penalty, norms.detach()) if return_norms else penalty


def finite_difference_penalty(
    critic: Critic,
    real: torch.Tensor,
    fake: torch.Tensor,
    *,
    centre: float = 1.0,
    one_sided: bool = False,
    generator: torch.Generator | None = None,
    eps: float = 1e-6,
    return_norms: bool = False,
) -> torch.Tensor | Penalty:
    """A gradient penalty without second derivatives: two independent interpolates ``x1, x2`` on each
    real-fake segment, and ``mean((|critic(x1) - critic(x2)| / ||x1 - x2|| - centre)^2)``.

    The slope of the critic between two points on a transport segment stands in for its gradient norm,
    so only an ordinary backward pass is needed (useful where double backward is missing or slow).
    ``||x1 - x2||`` is floored at ``eps``. ``return_norms=True`` returns a :class:`Penalty`
    ``(penalty, norms)`` whose ``norms`` are the per-pair slopes.
    """
    check_critic_for_penalty(critic)
    real, fake = real.detach(), fake.detach()
    x1 = interpolates(real, fake, generator=generator)
    x2 = interpolates(real, fake, generator=generator)
    d_out = (_scores_of(critic, x1) - _scores_of(critic, x2)).reshape(-1).abs()
    d_in = (x1 - x2).flatten(1).norm(dim=1).clamp_min(eps)
    slopes = d_out / d_in
    gap = slopes - centre
    if one_sided:
        gap = torch.relu(gap)
    penalty = gap.pow(2).mean()
    return Penalty(penalty, slopes.detach()) if return_norms else penalty


@torch.no_grad()
def clip_weights(module: nn.Module, c: float) -> int:
    """Clip, in place, the weights and biases of ``module``'s layers to [-c, c] (Arjovsky et al. 2017).

    The scale and shift of normalisation layers (BatchNorm, InstanceNorm, LayerNorm, GroupNorm, ...)
    are left alone. This is a trade-off, not a fix. A normalisation layer undoes the scale that the
    clipped weights before it gave its input, so c constrains such a critic almost only through the
    layers after its last normalisation: it is far less constrained than its clipped weights suggest
    (chapter 3 measures a LayerNorm critic thousands of times steeper than a plain critic clipped at
    the same c). Clipping the scales and shifts too squeezes the critic again, but pins every scale at
    or below c for the rest of training. Returns the number of parameter tensors clipped.
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"clip_weights needs an nn.Module, got {type(module).__name__}")
    if not (c > 0):
        raise ValueError(f"the clipping threshold c must be positive, got {c}")
    count = 0
    for sub in module.modules():
        if isinstance(sub, _NORM_LAYERS):
            continue
        for _, p in sub.named_parameters(recurse=False):
            p.clamp_(-c, c)
            count += 1
    return count
