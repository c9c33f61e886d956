"""Labelled peptides, their physico-chemical features, and the scarce-positive splits of chapter 6.

The sequences and labels come from the data sets that ``modlamp`` ships (Mueller et al. 2017), so
nothing is downloaded; the features come from the ``peptides`` package. Import this module
explicitly (``import wganlib.proteins``): it needs the ``proteins`` extra
(``pip install "wganlib[proteins]"``).

The workflow of chapter 6 (FFPredGAN, Wan & Jones 2020):

>>> data = load_features("amp")                         # doctest: +SKIP
>>> split = scarce_split(data.labels, k=10, seed=0)      # doctest: +SKIP
>>> X_train, y_train = data.features[split.train], data.labels[split.train]  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "DATASETS",
    "GLOBAL_FEATURES",
    "PeptideFeatures",
    "ScarceSplit",
    "cache_dir",
    "featurize",
    "feature_names",
    "kmer_clusters",
    "load_features",
    "load_peptides",
    "loo_1nn_accuracy",
    "scarce_split",
]

#: The labelled peptide sets of ``modlamp.datasets``: our name -> (loader, what the positives are).
DATASETS: dict[str, tuple[str, str]] = {
    "amp": ("load_AMPvsUniProt", "antimicrobial peptides vs UniProt peptides"),
    "acp": ("load_ACPvsRandom", "anticancer peptides vs scrambled random peptides"),
    "acp-tm": ("load_ACPvsTM", "anticancer peptides vs transmembrane helices"),
    "amp-tm": ("load_AMPvsTM", "antimicrobial peptides vs transmembrane helices"),
}

#: Whole-peptide properties appended to the 102 scale averages of ``peptides.Peptide.descriptors``.
GLOBAL_FEATURES: tuple[str, ...] = (
    "log10_length",  # number of residues, log10
    "charge",  # net charge at pH 7.4 (Lehninger pKa scale)
    "isoelectric_point",  # pH at which the net charge is zero
    "hydrophobicity",  # mean Kyte-Doolittle hydropathy
    "hydrophobic_moment",  # amphipathicity of an ideal alpha-helix (100 degrees per residue, window 11)
    "boman",  # Boman index: potential to bind other proteins
    "instability_index",  # Guruprasad's dipeptide-based instability index
    "aliphatic_index",  # relative volume of aliphatic side chains (A, V, I, L)
)

_CACHE_VERSION = 1


def _check_name(name: str) -> tuple[str, str]:
    if name not in DATASETS:
        known = "; ".join(f"{k!r} ({v[1]})" for k, v in DATASETS.items())
        raise ValueError(f"unknown peptide data set {name!r}. Known: {known}")
    return DATASETS[name]


def load_peptides(name: str = "amp") -> tuple[list[str], np.ndarray]:
    """Unique sequences and their labels (1 = positive, e.g. antimicrobial) from a modlamp data set.

    Sequences listed more than once are kept once; those listed with both labels are dropped, so that
    a sequence can never sit on both sides of a train/test split.

    Parameters
    ----------
    name : str
        A key of :data:`DATASETS`: ``"amp"`` (2,600 antimicrobial vs 2,600 UniProt peptides),
        ``"acp"``, ``"acp-tm"`` or ``"amp-tm"``.

    Returns
    -------
    sequences : list of str, length n
        One-letter amino-acid sequences, in modlamp's order of first appearance.
    labels : ndarray of int64, shape (n,)
    """
    loader, _ = _check_name(name)
    from modlamp import datasets

    bunch = getattr(datasets, loader)()
    seen: dict[str, set[int]] = {}
    for seq, label in zip(bunch.sequences, bunch.target, strict=True):
        seen.setdefault(str(seq).strip().upper(), set()).add(int(label))
    sequences = [s for s, labs in seen.items() if len(labs) == 1]
    labels = np.array([next(iter(seen[s])) for s in sequences], dtype=np.int64)
    return sequences, labels


def feature_names() -> list[str]:
    """The names of the columns that :func:`featurize` returns (102 scale averages, then globals)."""
    import peptides

    return list(peptides.Peptide("ACDEFGHIKLMNPQRSTVWY").descriptors()) + list(GLOBAL_FEATURES)


def featurize(sequences: Sequence[str], progress: bool = False) -> np.ndarray:
    """Physico-chemical features of peptide sequences, computed with the ``peptides`` package.

    Columns (see :func:`feature_names`): the 102 values of ``Peptide.descriptors()`` (each the mean over
    the residues of one published amino-acid scale: BLOSUM indices, Kidera factors, Z-scales, ...), then
    the whole-peptide properties of :data:`GLOBAL_FEATURES`. Features are returned unstandardised.

    Parameters
    ----------
    sequences : sequence of str
        One-letter amino-acid sequences, each non-empty.
    progress : bool
        Show a ``tqdm`` progress bar.

    Returns
    -------
    ndarray of float64, shape (len(sequences), 110)
    """
    import peptides
    from tqdm.auto import tqdm

    if isinstance(sequences, str):
        raise ValueError("featurize expects a list of sequences, not a single string; wrap it in a list")
    rows = []
    for seq in tqdm(sequences, desc="featurise", disable=not progress, leave=False):
        if not isinstance(seq, str) or not seq:
            raise ValueError(f"every sequence must be a non-empty string, got {seq!r}")
        p = peptides.Peptide(seq)
        rows.append(
            list(p.descriptors().values())
            + [
                np.log10(len(seq)),
                p.charge(pH=7.4),
                p.isoelectric_point(),
                p.hydrophobicity(),
                p.hydrophobic_moment(window=min(11, len(seq)), angle=100),
                p.boman(),
                p.instability_index(),
                p.aliphatic_index(),
            ]
        )
    x = np.asarray(rows, dtype=np.float64).reshape(len(rows), -1)
    if not np.all(np.isfinite(x)):
        raise ValueError("some features are nan or inf; check the sequences for unusual letters")
    return x


def cache_dir() -> Path:
    """Where :func:`load_features` caches feature matrices: ``$WGANLIB_CACHE``, else
    ``$XDG_CACHE_HOME/wganlib``, else ``~/.cache/wganlib``."""
    if os.environ.get("WGANLIB_CACHE"):
        return Path(os.environ["WGANLIB_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "wganlib"


@dataclass(frozen=True)
class PeptideFeatures:
    """A featurised peptide data set: row i of ``features`` describes ``sequences[i]``."""

    name: str
    sequences: list[str]
    labels: np.ndarray  # (n,) int64, 1 = positive
    features: np.ndarray  # (n, d) float64, unstandardised
    names: list[str]  # (d,) column names
    from_cache: bool = False


def load_features(
    name: str = "amp",
    *,
    cache: str | os.PathLike | None = None,
    use_cache: bool = True,
    progress: bool = True,
) -> PeptideFeatures:
    """Sequences, labels and features of a modlamp data set, computed once and cached as ``.npz``.

    Parameters
    ----------
    name : str
        A key of :data:`DATASETS`.
    cache : path, optional
        Folder of the cache (default :func:`cache_dir`). A cached file is used only when it holds
        exactly the sequences and feature names that would be computed now.
    use_cache : bool
        False recomputes the features (and rewrites the cache).
    progress : bool
        Show a progress bar while featurising.
    """
    sequences, labels = load_peptides(name)
    names = feature_names()
    folder = Path(cache) if cache is not None else cache_dir()
    path = folder / f"peptides_{name}_v{_CACHE_VERSION}.npz"
    if use_cache and path.exists():
        try:
            with np.load(path, allow_pickle=False) as f:
                ok = list(f["sequences"]) == sequences and list(f["names"]) == names
                if ok:
                    return PeptideFeatures(name, sequences, labels, f["features"].copy(), names, True)
        except (OSError, ValueError, KeyError):
            pass  # unreadable or stale cache: recompute
    x = featurize(sequences, progress=progress)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp.npz")
        np.savez_compressed(tmp, sequences=np.array(sequences), names=np.array(names), features=x)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home is not an error: the features are simply not cached
    return PeptideFeatures(name, sequences, labels, x, names, False)


@dataclass(frozen=True)
class ScarceSplit:
    """Indices of one scarce-positive experiment.

    ``test`` is a balanced held-out set that depends only on ``test_seed``; ``train`` holds ``k``
    positives and ``n_negatives`` negatives drawn with ``seed`` from what the test set left;
    ``reserve`` holds every remaining positive (in neither), e.g. to compare synthetic positives with.
    """

    train: np.ndarray
    test: np.ndarray
    reserve: np.ndarray
    k: int
    seed: int


def scarce_split(
    labels: np.ndarray,
    k: int,
    *,
    n_negatives: int = 400,
    n_test: int = 300,
    seed: int = 0,
    test_seed: int = 12345,
    groups: np.ndarray | None = None,
) -> ScarceSplit:
    """Split a labelled set into a balanced test set and a training set with only ``k`` positives.

    Parameters
    ----------
    labels : array of 0/1, shape (n,)
    k : int
        Number of positives in the training set (at least 2).
    n_negatives : int
        Number of negatives in the training set.
    n_test : int
        Positives, and as many negatives, in the test set.
    seed : int
        Seeds the draw of the training set (different seeds, different training sets).
    test_seed : int
        Seeds the draw of the test set, which is the same for every ``seed`` and ``k``.
    groups : array of ints, shape (n,), optional
        A cluster id per sequence (e.g. :func:`kmer_clusters`). Given, every split respects the
        clusters: the test set is drawn from whole clusters (members of those clusters that are not
        drawn into the test set are left out of everything), and the reserve holds only positives
        whose cluster has no training positive. Without it the draws are plain random ones.

    Returns
    -------
    ScarceSplit
        Sorted index arrays ``train``, ``test`` and ``reserve``, pairwise disjoint.
    """
    y = np.asarray(labels)
    if y.ndim != 1 or not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be a 1-D array of 0s and 1s")
    for key, value, low in (("k", k, 2), ("n_negatives", n_negatives, 1), ("n_test", n_test, 1)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
            raise ValueError(f"{key} must be an int >= {low}, got {value!r}")
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    if n_test >= len(pos) or n_test >= len(neg):
        raise ValueError(
            f"n_test={n_test} leaves no training data: there are {len(pos)} positives and {len(neg)} negatives"
        )
    trng = np.random.default_rng(test_seed)
    if groups is None:
        test_pos = trng.choice(pos, n_test, replace=False)
        test_neg = trng.choice(neg, n_test, replace=False)
        pool_pos = np.setdiff1d(pos, test_pos)
        pool_neg = np.setdiff1d(neg, test_neg)
    else:
        g = np.asarray(groups)
        if g.shape != y.shape:
            raise ValueError(f"groups must give one cluster id per label: shape {g.shape}, labels {y.shape}")
        # whole clusters, in random order, go to the test side until it holds n_test of each class
        test_side = np.zeros(len(y), dtype=bool)
        for cluster in trng.permutation(np.unique(g)):
            if (y[test_side] == 1).sum() >= n_test and (y[test_side] == 0).sum() >= n_test:
                break
            test_side |= g == cluster
        test_pos = trng.choice(np.flatnonzero(test_side & (y == 1)), n_test, replace=False)
        test_neg = trng.choice(np.flatnonzero(test_side & (y == 0)), n_test, replace=False)
        pool_pos, pool_neg = np.flatnonzero(~test_side & (y == 1)), np.flatnonzero(~test_side & (y == 0))
    if k > len(pool_pos):
        raise ValueError(
            f"k={k} is larger than the {len(pool_pos)} positives left after the test set "
            f"({len(pos)} positives, {n_test} of them for testing); lower k or n_test"
        )
    if n_negatives > len(pool_neg):
        raise ValueError(
            f"n_negatives={n_negatives} is larger than the {len(pool_neg)} negatives left after the test set"
        )
    rng = np.random.default_rng(seed)
    train_pos = rng.choice(pool_pos, k, replace=False)
    train_neg = rng.choice(pool_neg, n_negatives, replace=False)
    reserve = np.setdiff1d(pool_pos, train_pos)
    if groups is not None:  # unseen means: no relative among the training positives either
        reserve = reserve[~np.isin(g[reserve], g[train_pos])]
    return ScarceSplit(
        train=np.sort(np.concatenate([train_pos, train_neg])),
        test=np.sort(np.concatenate([test_pos, test_neg])),
        reserve=reserve,
        k=int(k),
        seed=int(seed),
    )


def kmer_clusters(sequences: Sequence[str], *, k: int = 3, threshold: float = 0.3) -> np.ndarray:
    """Cluster sequences by shared k-mers: a cluster id per sequence (0, 1, ...).

    Two sequences are linked when the Jaccard similarity of their sets of k-mers (substrings of
    length ``k``) is at least ``threshold``; clusters are the connected components of these links
    (single linkage), so a chain of close variants ends up in one cluster. A fast, alignment-free
    stand-in for clustering by sequence identity (as CD-HIT does), meant for splits in which near-
    identical variants never sit on both sides. Sequences shorter than ``k`` form their own clusters.
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components
    from sklearn.feature_extraction.text import CountVectorizer

    seqs = list(sequences)
    if not seqs or not all(isinstance(q, str) for q in seqs):
        raise ValueError("sequences must be a non-empty list of strings")
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be an int >= 1, got {k!r}")
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must lie in (0, 1], got {threshold!r}")
    # one row per sequence, one column per k-mer, 1 where the sequence contains it
    vectorizer = CountVectorizer(analyzer="char", ngram_range=(k, k), lowercase=False, binary=True)
    padded = [q if len(q) >= k else "" for q in seqs]
    if not any(padded):
        return np.arange(len(seqs))
    kmers = vectorizer.fit_transform(padded).astype(np.float64)
    size = np.asarray(kmers.sum(1)).ravel()
    shared = (kmers @ kmers.T).tocoo()  # k-mers in common, for every pair that has any
    union = size[shared.row] + size[shared.col] - shared.data
    linked = (shared.data >= threshold * union) & (shared.row != shared.col)
    graph = csr_matrix((np.ones(linked.sum()), (shared.row[linked], shared.col[linked])), shape=(len(seqs),) * 2)
    return connected_components(graph, directed=False)[1]


def loo_1nn_accuracy(real, synthetic) -> float:
    """Leave-one-out accuracy of the 1-nearest-neighbour two-sample test (Lopez-Paz & Oquab 2017):
    :func:`wganlib.metrics.loo_1nn_accuracy`, kept here under the name chapter 6 uses.

    About 0.5 when the two samples are indistinguishable; near 1 when they are separated; below 0.5
    when each synthetic point copies a real one. FFPredGAN picks the generator snapshot whose accuracy
    is closest to 0.5.
    """
    from .metrics import loo_1nn_accuracy as _loo

    return _loo(real, synthetic)
