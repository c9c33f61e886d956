"""The reference: the published PyTorch toy WGAN-GP loop (caogang/wgan-gp, ``gan_toy.py``, a port of
Gulrajani et al.'s TensorFlow code), rewritten here to run as a function with the same behaviour.

What is kept on purpose, because it is what a reader running the reference would measure:
- three hidden layers of ``dim`` ReLU units in both networks, weights N(0, 0.02), biases 0;
- batch 256, 5 critic iterations, Adam(1e-4, betas (0.5, 0.9)), lambda 0.1, 2-D noise;
- data made with NumPy: the 25-gaussian set precomputed (100,000 points, shuffled, divided by 2.828)
  and served in batches; the 8 gaussians drawn point by point in a Python loop;
- three separate backward passes per critic step (real term, fake term, penalty), and the critic's
  ``requires_grad`` switched off and on around the generator step.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator

import numpy as np
import torch
from torch import autograd, nn


def inf_train_gen(dataset: str, batch_size: int, rng: np.random.RandomState) -> Iterator[np.ndarray]:
    """Endless float32 batches of the reference's toy data, made with NumPy as the reference does."""
    if dataset == "25gaussians":
        points = []
        for _ in range(100_000 // 25):
            for x in range(-2, 3):
                for y in range(-2, 3):
                    p = rng.randn(2) * 0.05
                    p[0] += 2 * x
                    p[1] += 2 * y
                    points.append(p)
        data = np.array(points, dtype="float32")
        rng.shuffle(data)
        data /= 2.828
        while True:
            for i in range(len(data) // batch_size):
                yield data[i * batch_size : (i + 1) * batch_size]
    elif dataset == "8gaussians":
        s = 1.0 / np.sqrt(2)
        centres = [(1, 0), (-1, 0), (0, 1), (0, -1), (s, s), (s, -s), (-s, s), (-s, -s)]
        centres = [(2.0 * x, 2.0 * y) for x, y in centres]
        pick = random.Random(rng.randint(2**31))
        while True:
            batch = []
            for _ in range(batch_size):
                p = rng.randn(2) * 0.02
                cx, cy = pick.choice(centres)
                p[0] += cx
                p[1] += cy
                batch.append(p)
            yield np.array(batch, dtype="float32") / 1.414
    else:
        raise ValueError(f"unknown dataset {dataset!r}")


def _mlp(dim: int, out: int) -> nn.Sequential:
    net = nn.Sequential(
        nn.Linear(2, dim), nn.ReLU(True),
        nn.Linear(dim, dim), nn.ReLU(True),
        nn.Linear(dim, dim), nn.ReLU(True),
        nn.Linear(dim, out),
    )  # fmt: skip
    for m in net:
        if isinstance(m, nn.Linear):
            m.weight.data.normal_(0.0, 0.02)
            m.bias.data.fill_(0)
    return net


def _penalty(critic, real, fake, lam: float) -> torch.Tensor:
    alpha = torch.rand(real.shape[0], 1).expand(real.size())
    x = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    out = critic(x)
    (grads,) = autograd.grad(out, x, grad_outputs=torch.ones_like(out), create_graph=True, retain_graph=True)
    return ((grads.norm(2, dim=1) - 1) ** 2).mean() * lam


def train(
    dataset: str = "25gaussians",
    *,
    dim: int = 512,
    batch_size: int = 256,
    critic_iters: int = 5,
    lam: float = 0.1,
    steps: int | None = None,
    seconds: float | None = None,
    seed: int = 1,
    callback: Callable[[int, nn.Module], None] | None = None,
    eval_every: int = 250,
) -> dict:
    """Run the reference loop for ``steps`` generator iterations or ``seconds`` of training time
    (time spent in ``callback`` excluded). ``callback(step, generator)`` runs every ``eval_every`` steps.
    Returns the generator and the per-step training seconds."""
    torch.manual_seed(seed)
    rng = np.random.RandomState(seed)
    gen, critic = _mlp(dim, 2), _mlp(dim, 1)
    opt_d = torch.optim.Adam(critic.parameters(), lr=1e-4, betas=(0.5, 0.9))
    opt_g = torch.optim.Adam(gen.parameters(), lr=1e-4, betas=(0.5, 0.9))
    one, mone = torch.tensor(1.0), torch.tensor(-1.0)
    data = inf_train_gen(dataset, batch_size, rng)
    elapsed, step, times = 0.0, 0, []
    while (steps is None or step < steps) and (seconds is None or elapsed < seconds):
        t0 = time.perf_counter()
        for p in critic.parameters():
            p.requires_grad = True
        for _ in range(critic_iters):
            real = torch.from_numpy(next(data))
            critic.zero_grad()
            d_real = critic(real).mean()
            d_real.backward(mone)
            with torch.no_grad():
                fake = gen(torch.randn(batch_size, 2))
            d_fake = critic(fake).mean()
            d_fake.backward(one)
            gp = _penalty(critic, real, fake, lam)
            gp.backward()
            opt_d.step()
        for p in critic.parameters():
            p.requires_grad = False
        next(data)  # the reference draws (and ignores) a real batch here
        gen.zero_grad()
        g = critic(gen(torch.randn(batch_size, 2))).mean()
        g.backward(mone)
        opt_g.step()
        dt = time.perf_counter() - t0
        elapsed += dt
        times.append(dt)
        step += 1
        if callback is not None and step % eval_every == 0:
            callback(step, gen)
    return {"generator": gen, "critic": critic, "step_seconds": times, "steps": step, "seconds": elapsed}
