"""wganlib: the shared library of the WGAN book.

Modules: ``runtime`` (the device and seeds: ``device``, ``seed``, ``generator``, ``rng``, ``seed_everything``; the offset
``WGANLIB_SEED_OFFSET`` shifts every seed of the book), ``data`` (toy distributions), ``models`` (MLPs), ``losses``,
``penalties``, ``transport`` (exact optimal transport), ``train`` (``critic_step``,
``generator_step``, ``train_gan``), ``metrics``, ``plot``, ``exercises`` (self-checks), ``toy_study``
(chapter 4's committed study of the toy recipe), and, imported
on demand because they need the ``proteins`` extra, ``proteins`` and ``augment`` (chapter 6). The library never picks a device,
reseeds or restyles plots by itself.
"""

from . import data, exercises, losses, metrics, models, penalties, plot, runtime, toy_study, train, transport
from .runtime import device, generator, rng, seed, seed_everything, seed_offset
from .train import History, critic_step, generator_step, train_gan

__version__ = "0.1.0"

__all__ = [
    "data", "exercises", "losses", "metrics", "models", "penalties", "plot", "runtime", "toy_study", "train", "transport",
    "device", "generator", "rng", "seed", "seed_everything", "seed_offset", "History", "critic_step", "generator_step", "train_gan",
]  # fmt: skip
