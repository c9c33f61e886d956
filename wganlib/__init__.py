"""wganlib: the shared library of the WGAN book.

Modules: ``device`` (device and seeds), ``data`` (toy distributions), ``models`` (MLPs), ``losses``,
``penalties``, ``train`` (``critic_step``, ``generator_step``, ``train_gan``), ``metrics``, ``plot``,
``exercises`` (self-checks). The library never picks a device, reseeds or restyles plots by itself.
"""

from . import data, exercises, losses, metrics, models, penalties, plot, train
from .device import device, seed_everything
from .train import History, critic_step, generator_step, train_gan

__version__ = "0.1.0"

__all__ = [
    "data", "exercises", "losses", "metrics", "models", "penalties", "plot", "train",
    "device", "seed_everything", "History", "critic_step", "generator_step", "train_gan",
]  # fmt: skip
