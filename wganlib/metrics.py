"""Distances between distributions and the quality measures used throughout the book."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ._helpers import as_point_pair, as_points, flat, to_numpy

__all__ = [
    "wasserstein1",
    "wasserstein1_1d",
    "js_divergence",
    "kl_divergence",
    "total_variation",
    "ModeCoverage",
    "mode_coverage",
    "gradient_norm_stats",
    "paired_bootstrap",
    "paired_permutation_p",
    "benjamini_hochberg",
    "loo_1nn_accuracy",
    "frechet_distance",
    "gaussian_frechet_distance",
    "ImageQuality",
    "ImageJudge",
]


def wasserstein1(x, y, *, num_iter_max: int = 1_000_000) -> float:
    """Exact Wasserstein-1 (earth-mover) distance between two empirical distributions, Euclidean
    ground cost, equal weight on each point; solved as a linear program with POT's ``ot.emd2``.

    ``x`` of shape (n, d) and ``y`` of shape (m, d), numpy or torch. The network simplex's worst case
    is about n^3 log n operations; on typical point clouds its time grows roughly as n^2 (about 0.1 s
    at n = m = 1,000 on one CPU core, 3 s at 5,000).
    """
    import ot

    a, b = as_point_pair(x, y)
    cost = ot.dist(a, b, metric="euclidean")
    wa = np.full(len(a), 1.0 / len(a))
    wb = np.full(len(b), 1.0 / len(b))
    return float(ot.emd2(wa, wb, cost, numItermax=num_iter_max))


def wasserstein1_1d(x, y) -> float:
    """Exact Wasserstein-1 distance between two 1-D samples: the area between their empirical CDFs,
    ``integral |F(t) - G(t)| dt``. For equal sizes it is ``mean(|sort(x) - sort(y)|)``."""
    a, b = as_points(x, "x"), as_points(y, "y")
    if a.shape[1] != 1 or b.shape[1] != 1:
        raise ValueError(f"wasserstein1_1d needs 1-D samples; got dimensions {a.shape[1]} and {b.shape[1]}")
    a, b = np.sort(a[:, 0]), np.sort(b[:, 0])
    if len(a) == len(b):
        return float(np.mean(np.abs(a - b)))
    grid = np.sort(np.concatenate([a, b]))
    widths = np.diff(grid)
    fa = np.searchsorted(a, grid[:-1], side="right") / len(a)
    fb = np.searchsorted(b, grid[:-1], side="right") / len(b)
    return float(np.sum(np.abs(fa - fb) * widths))


def _as_distribution(p, name: str) -> np.ndarray:
    a = to_numpy(p)
    if a.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.all(np.isfinite(a)) or np.any(a < 0):
        raise ValueError(f"{name} must hold finite, non-negative masses")
    total = a.sum()
    if total <= 0:
        raise ValueError(f"{name} has zero total mass")
    return a / total


def _pair(p, q) -> tuple[np.ndarray, np.ndarray]:
    a, b = _as_distribution(p, "p"), _as_distribution(q, "q")
    if a.shape != b.shape:
        raise ValueError(f"p and q must be histograms over the same bins; got shapes {a.shape} and {b.shape}")
    return a, b


def kl_divergence(p, q) -> float:
    """KL(p || q) in nats between two histograms on the same bins (normalised here); ``inf`` when p
    puts mass where q has none."""
    a, b = _pair(p, q)
    mask = a > 0
    if np.any(b[mask] == 0):
        return float("inf")
    return float(np.sum(a[mask] * np.log(a[mask] / b[mask])))


def js_divergence(p, q) -> float:
    """Jensen-Shannon divergence in nats, ``KL(p || m) / 2 + KL(q || m) / 2`` with ``m = (p + q) / 2``,
    between two histograms (or discrete densities) on the same bins. At most ``log 2``, reached
    exactly when p and q have disjoint supports."""
    a, b = _pair(p, q)
    m = 0.5 * (a + b)
    return 0.5 * kl_divergence(a, m) + 0.5 * kl_divergence(b, m)


def total_variation(p, q) -> float:
    """Total variation distance ``sum |p - q| / 2`` between two histograms on the same bins."""
    a, b = _pair(p, q)
    return float(0.5 * np.abs(a - b).sum())


@dataclass(frozen=True)
class ModeCoverage:
    """Mode-collapse measures of a sample of a mixture (Srivastava et al. 2017; Lin et al. 2018).

    ``modes``: how many modes received at least ``min_count`` high-quality samples; ``high_quality``:
    the fraction of samples within ``threshold`` std of their nearest mode; ``reverse_kl``:
    KL(generated mode histogram || uniform) over the high-quality samples (0 when every mode gets
    an equal share; ``inf`` when no sample is high quality).
    """

    modes: int
    n_modes: int
    high_quality: float
    reverse_kl: float
    counts: tuple[int, ...]

    def __str__(self) -> str:
        return (
            f"{self.modes}/{self.n_modes} modes, {100 * self.high_quality:.1f}% high quality, "
            f"reverse KL {self.reverse_kl:.3f}"
        )


def mode_coverage(
    samples, centres, std: float, threshold: float = 3.0, min_count: int | None = None
) -> ModeCoverage:
    """Count covered modes and high-quality samples of a generated ``samples`` (n, d) against the
    mixture's ``centres`` (k, d) with per-mode standard deviation ``std``.

    A sample is high quality when it lies within ``threshold * std`` of its nearest centre. A mode is
    covered when at least ``min_count`` high-quality samples are assigned to it; by default 20% of an
    equal share, ``0.2 * n / k`` (PacGAN's 20 of 2,500 samples on the 25-mode grid).
    """
    x = as_points(samples, "samples")
    c = as_points(centres, "centres")
    if x.shape[1] != c.shape[1]:
        raise ValueError(f"samples have dimension {x.shape[1]} but centres have {c.shape[1]}")
    if not std > 0:
        raise ValueError(f"std must be positive, got {std}")
    k = len(c)
    d2 = ((x[:, None, :] - c[None, :, :]) ** 2).sum(-1)
    nearest = d2.argmin(1)
    good = np.sqrt(d2[np.arange(len(x)), nearest]) <= threshold * std
    counts = np.bincount(nearest[good], minlength=k)
    if min_count is None:
        min_count = max(1, int(round(0.2 * len(x) / k)))
    n_good = int(good.sum())
    if n_good == 0:
        rkl = float("inf")
    else:
        p = counts / n_good
        nz = p > 0
        rkl = float(np.sum(p[nz] * np.log(p[nz] * k)))
    return ModeCoverage(
        modes=int((counts >= min_count).sum()),
        n_modes=k,
        high_quality=n_good / len(x),
        reverse_kl=rkl,
        counts=tuple(int(v) for v in counts),
    )


def gradient_norm_stats(critic, x) -> dict[str, float]:
    """Mean, std, min and max of the critic's per-sample gradient norm at the points ``x``."""
    from .penalties import gradient_norms

    norms = to_numpy(gradient_norms(critic, x))
    return {
        "mean": float(norms.mean()),
        "std": float(norms.std(ddof=1)) if len(norms) > 1 else 0.0,
        "min": float(norms.min()),
        "max": float(norms.max()),
    }


def loo_1nn_accuracy(real, synthetic) -> float:
    """Leave-one-out accuracy of the 1-nearest-neighbour two-sample test (Lopez-Paz & Oquab 2017).

    Pool ``real`` (n, d) and ``synthetic`` (m, d) (images are flattened); predict the origin of each
    point by the origin of its nearest other point (Euclidean); return the fraction predicted right.
    About 0.5 when the two samples are indistinguishable; near 1 when they are separated; below 0.5
    when each synthetic point copies a real one.
    """
    from sklearn.neighbors import NearestNeighbors

    a, b = as_point_pair(flat(real), flat(synthetic), ("real", "synthetic"))
    x = np.concatenate([a, b])
    origin = np.r_[np.zeros(len(a)), np.ones(len(b))]
    # the two nearest points of each point: itself and its nearest other point (or, with duplicates,
    # a copy at distance 0 first)
    idx = NearestNeighbors(n_neighbors=2).fit(x).kneighbors(x, return_distance=False)
    other = np.where(idx[:, 0] == np.arange(len(x)), idx[:, 1], idx[:, 0])
    return float(np.mean(origin[other] == origin))


def gaussian_frechet_distance(mu1, cov1, mu2, cov2) -> float:
    """Squared Frechet (Wasserstein-2) distance between N(mu1, cov1) and N(mu2, cov2) (Dowson &
    Landau 1982): ``||mu1 - mu2||^2 + tr(cov1 + cov2 - 2 (cov1^1/2 cov2 cov1^1/2)^1/2)``.

    This is the formula of the FID (Heusel et al. 2017), applied to whatever features are given.
    """
    m1, m2 = np.atleast_1d(np.asarray(mu1, dtype=np.float64)), np.atleast_1d(np.asarray(mu2, dtype=np.float64))
    c1, c2 = np.atleast_2d(np.asarray(cov1, dtype=np.float64)), np.atleast_2d(np.asarray(cov2, dtype=np.float64))
    d = len(m1)
    if m2.shape != (d,) or c1.shape != (d, d) or c2.shape != (d, d):
        raise ValueError(
            f"need means of shape (d,) and covariances (d, d) with one d; got {m1.shape}, {c1.shape}, "
            f"{m2.shape}, {c2.shape}"
        )
    # tr((c1^1/2 c2 c1^1/2)^1/2) = sum of the square roots of the eigenvalues of c1 c2 (real and >= 0
    # for covariances); this stays accurate when a covariance is singular, where sqrtm warns
    eig = np.linalg.eigvals(c1 @ c2)
    cross = np.sqrt(np.clip(eig.real, 0.0, None)).sum()
    value = float(np.sum((m1 - m2) ** 2) + np.trace(c1) + np.trace(c2) - 2.0 * cross)
    return max(value, 0.0)  # rounding can leave a tiny negative number when the two are equal


def frechet_distance(features_a, features_b) -> float:
    """Squared Frechet distance between gaussians fitted to two sets of features, (n, d) and (m, d):
    the FID's formula (Heusel et al. 2017) on the features given (the book uses a digit classifier's)."""
    a, b = as_points(flat(features_a), "features_a"), as_points(flat(features_b), "features_b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"the two feature sets differ in dimension: {a.shape[1]} and {b.shape[1]}")
    if min(len(a), len(b)) < 2:
        raise ValueError("each feature set needs at least 2 rows to estimate a covariance")
    return gaussian_frechet_distance(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))


@dataclass(frozen=True)
class ImageQuality:
    """What :meth:`ImageJudge.evaluate` measures of a set of generated images.

    ``confident``: fraction of samples the classifier labels with probability > 0.9;
    ``mean_confidence``: mean of the classifier's top probability; ``class_counts``: predicted
    classes of the confident samples; ``classes``: classes that got at least 20% of an equal share of
    the confident samples; ``reverse_kl``: KL(predicted class histogram || uniform) over the confident
    samples (0 for equal shares, ``inf`` when no sample is confident); ``frechet``: Frechet distance of
    the classifier's hidden features to the reference images'; ``nn_accuracy``: 1-NN two-sample
    accuracy against the reference images (0.5 is ideal); ``memorisation``: median distance from a
    sample to its nearest training image, divided by the same median for the reference images (about
    1 for samples as new as fresh real images, 0 for copies of the training set); ``copied``: the
    fraction of samples nearer to a training image than 99% of the reference images are (about 0.01
    for fresh real images, 1 for copies), which sees partial copying that a median hides.
    """

    confident: float
    mean_confidence: float
    class_counts: tuple[int, ...]
    classes: int
    reverse_kl: float
    frechet: float
    nn_accuracy: float
    memorisation: float
    copied: float = float("nan")

    def __str__(self) -> str:
        return (
            f"confident {100 * self.confident:.0f}%, classes {self.classes}/{len(self.class_counts)}, "
            f"rKL {self.reverse_kl:.3f}, FD {self.frechet:.2f}, 1-NN {self.nn_accuracy:.3f}, "
            f"memorisation {self.memorisation:.2f}, copied {100 * self.copied:.0f}%"
        )


class ImageJudge:
    """A small classifier of labelled images, and the quality measures built on it (chapter 7).

    ``ImageJudge(train_images, train_labels, reference_images)`` trains a one-hidden-layer MLP on
    the training images (full batch, Adam, on the CPU, seeded by ``seed`` inside a forked random
    state: the caller's random state is left as it was). Its hidden layer gives the features of the
    Frechet distance; ``reference_images`` (held-out real images) are what samples are compared with.
    Images are (n, ...) tensors in the generator's range; they are flattened.

    Why not Inception features: the FID's Inception network was trained on 299x299 colour photos; on
    8x8 grey digits its features describe resampling artefacts, not digits. A classifier of the data
    set itself sees what matters here (a common choice for MNIST-scale work).
    """

    def __init__(self, train_images, train_labels, reference_images, *, hidden: int = 128,
                 epochs: int = 300, seed: int = 0):  # fmt: skip
        x = as_points(flat(torch.as_tensor(train_images).detach().cpu()), "train_images")
        y = torch.as_tensor(train_labels).detach().cpu().long()
        if y.dim() != 1 or len(y) != len(x):
            raise ValueError(f"train_labels must have shape ({len(x)},); got {tuple(y.shape)}")
        self.n_classes = int(y.max()) + 1
        self._train = x
        self._reference = as_points(flat(torch.as_tensor(reference_images).detach().cpu()), "reference_images")
        if self._reference.shape[1] != x.shape[1]:
            raise ValueError("reference_images and train_images must have the same shape per image")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.net = torch.nn.Sequential(
                torch.nn.Linear(x.shape[1], hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, self.n_classes)
            )
            xt = torch.as_tensor(x, dtype=torch.float32)
            opt = torch.optim.Adam(self.net.parameters(), lr=1e-2, weight_decay=1e-4)
            for _ in range(epochs):
                opt.zero_grad()
                torch.nn.functional.cross_entropy(self.net(xt), y).backward()
                opt.step()
        self.net.eval()
        self._reference_features = self.features(self._reference)
        self._reference_nearest = self._nearest_train(self._reference)

    def _points(self, images) -> torch.Tensor:
        x = as_points(flat(images), "images")
        if x.shape[1] != self._train.shape[1]:
            raise ValueError(f"images have {x.shape[1]} pixels each; the judge was trained on {self._train.shape[1]}")
        return torch.as_tensor(x, dtype=torch.float32)

    @torch.no_grad()
    def features(self, images) -> np.ndarray:
        """The hidden layer's activations, (n, hidden)."""
        return self.net[1](self.net[0](self._points(images))).numpy().astype(np.float64)

    @torch.no_grad()
    def probabilities(self, images) -> np.ndarray:
        """Class probabilities, (n, n_classes)."""
        return torch.softmax(self.net(self._points(images)), dim=1).numpy().astype(np.float64)

    def frechet(self, images) -> float:
        """The Frechet distance of ``images``' features to the reference images' (the cheap part of
        :meth:`evaluate`, for checkpoints during training)."""
        return frechet_distance(self.features(images), self._reference_features)

    def accuracy(self, images, labels) -> float:
        """Fraction of ``images`` classified as ``labels``."""
        pred = self.probabilities(images).argmax(1)
        return float(np.mean(pred == torch.as_tensor(labels).cpu().numpy()))

    def _nearest_train(self, x: np.ndarray) -> np.ndarray:
        t = self._train
        d2 = (x * x).sum(1)[:, None] + (t * t).sum(1)[None, :] - 2.0 * x @ t.T
        return np.sqrt(np.maximum(d2.min(1), 0.0))

    def evaluate(self, samples, *, confidence: float = 0.9) -> ImageQuality:
        """Every measure of :class:`ImageQuality` for ``samples`` (n, ...) against the reference images."""
        probs = self.probabilities(samples)
        top = probs.max(1)
        sure = top > confidence
        k = self.n_classes
        counts = np.bincount(probs.argmax(1)[sure], minlength=k)
        n_sure = int(sure.sum())
        if n_sure == 0:
            rkl, classes = float("inf"), 0
        else:
            p = counts / n_sure
            rkl = float(np.sum(p[p > 0] * np.log(p[p > 0] * k)))
            classes = int((counts >= max(1, round(0.2 * n_sure / k))).sum())
        x = self._points(samples).numpy().astype(np.float64)
        near = self._nearest_train(x)
        return ImageQuality(
            confident=float(sure.mean()),
            mean_confidence=float(top.mean()),
            class_counts=tuple(int(c) for c in counts),
            classes=classes,
            reverse_kl=rkl,
            frechet=self.frechet(x),
            nn_accuracy=loo_1nn_accuracy(self._reference, x),
            memorisation=float(np.median(near) / np.median(self._reference_nearest)),
            copied=float(np.mean(near < np.quantile(self._reference_nearest, 0.01))),
        )


def _paired_differences(a, b) -> np.ndarray:
    """``a - b`` for paired draws (one score per draw, the same draws in the same order), in float64."""
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape or len(x) < 2:
        raise ValueError(f"a and b must be 1-D, of one length >= 2 (paired draws); got {x.shape} and {y.shape}")
    return x - y


def paired_bootstrap(a, b, *, n_boot: int = 10_000, level: float = 0.95, seed: int = 0) -> tuple[float, float, float]:
    """Mean of the paired differences ``a - b`` and its bootstrap percentile interval.

    ``a`` and ``b`` hold one score per draw (the same draws, in the same order). The draws are
    resampled with replacement ``n_boot`` times; the interval holds the central ``level`` of the
    resampled means. A difference is supported when the interval excludes zero.
    ``seed`` is used as given (not shifted by the book's offset), so a table is reproducible.
    """
    d = _paired_differences(a, b)
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level!r}")
    idx = np.random.default_rng(seed).integers(0, len(d), (n_boot, len(d)))
    means = d[idx].mean(1)
    tail = (1 - level) / 2
    lo, hi = np.quantile(means, [tail, 1 - tail])
    return float(d.mean()), float(lo), float(hi)


def paired_permutation_p(a, b, *, n_perm: int = 20_000, seed: int = 0) -> float:
    """Two-sided p-value for a mean paired difference ``a - b`` of zero, by random sign flips.

    Under the null hypothesis each draw's difference is as likely to have either sign; the p-value is
    the share of ``n_perm`` sign-flipped means at least as far from zero as the observed one (counting
    the observed one, so it is never 0). ``seed`` is used as given, so a table is reproducible.
    """
    d = _paired_differences(a, b)
    signs = np.random.default_rng(seed).choice([-1.0, 1.0], size=(n_perm, len(d)))
    null = np.abs((signs * d).mean(1))
    observed = abs(d.mean())
    return float((1 + np.sum(null >= observed - 1e-12 * max(1.0, observed))) / (n_perm + 1))


def benjamini_hochberg(pvalues, *, q: float = 0.05) -> np.ndarray:
    """Which of a family of tests to call discoveries at a false discovery rate ``q`` (Benjamini &
    Hochberg 1995): sort the p-values, find the largest rank i with p_(i) <= q i / m, and reject the
    i smallest. Returns a boolean array in the order of ``pvalues``."""
    p = np.asarray(pvalues, dtype=np.float64)
    if p.ndim != 1 or len(p) == 0 or ((p < 0) | (p > 1)).any():
        raise ValueError("pvalues must be a non-empty 1-D array of numbers in [0, 1]")
    order = np.argsort(p, kind="stable")
    passed = p[order] <= q * np.arange(1, len(p) + 1) / len(p)
    reject = np.zeros(len(p), dtype=bool)
    if passed.any():
        reject[order[: np.flatnonzero(passed).max() + 1]] = True
    return reject
