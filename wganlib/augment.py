"""Synthetic positives for a scarce class, and a protocol that tests whether they help (chapter 6).

Chapter 6 asks whether FFPredGAN's synthetic positives (Wan & Jones 2020) help a classifier that has
seen few real ones. Answering it honestly takes more care than training the GAN:

* every method is compared with the cheap remedies a practitioner tries first (class weights, a
  tuned decision threshold) under one model family and one hyperparameter grid;
* everything learned from the positives (the standardisation, SMOTE, jitter, the GAN) is fitted
  inside each cross-validation fold on that fold's training rows only, so validation positives
  never shape the synthetic data that the model selection then rewards;
* the folds respect clusters of similar sequences when ``groups`` is given.

:func:`evaluate` runs one method on one training set and scores it on a test set; :data:`METHODS`
lists the methods. The GAN is trained as in FFPredGAN: a WGAN-GP on the positives alone, full
batch, and the generator snapshot whose leave-one-out 1-NN accuracy against its training positives
is closest to 0.5 (:func:`train_ffpredgan`). Needs scikit-learn (the ``proteins`` extra).

Every ``seed=`` of this module is a book seed: the functions shift it by ``WGANLIB_SEED_OFFSET``
themselves, so pass ``seed=k``, not ``seed=wganlib.seed(k)``.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field

import numpy as np
import torch

from .metrics import loo_1nn_accuracy, wasserstein1
from .models import mlp_critic, mlp_generator
from .runtime import generator as seeded_generator
from .runtime import rng as seeded_rng
from .runtime import seed as shifted_seed
from .train import History, train_gan

__all__ = [
    "FFPREDGAN_GRID",
    "GRID",
    "METHODS",
    "FFPredGAN",
    "evaluate",
    "gan_steps",
    "jitter",
    "protocol_fingerprint",
    "scores",
    "smote",
    "study_path",
    "synthesise",
    "train_ffpredgan",
]

#: The hyperparameter grid of the RBF SVM that every method of :func:`evaluate` shares.
GRID: dict[str, tuple[float, ...]] = {"C": (0.3, 1.0, 3.0, 10.0), "gamma": (0.003, 0.01, 0.03)}

#: FFPredGAN's published grid (a linear kernel, and an RBF kernel on a wider range), used only by
#: the method "FFPredGAN as published".
FFPREDGAN_GRID: list[dict] = [
    {"kernel": ["linear"], "C": [1e-4, 1e-3, 0.01, 0.1, 1.0, 10.0, 100.0, 1e3, 1e4]},
    {
        "kernel": ["rbf"],
        "C": [1e-4, 1e-3, 0.01, 0.1, 1.0, 10.0, 100.0, 1e3, 1e4],
        "gamma": [1e-4, 0.001, 0.01, 0.03, 0.1, 0.2, 0.5, 1.0, 3.0, 10.0],
    },
]

#: method -> what it does (the order of chapter 6's tables)
METHODS: dict[str, str] = {
    "real only": "the SVM on the real training set",
    "class-weighted": "errors on each class weighted by the inverse of its frequency",
    "tuned threshold": "real only, decision threshold set to the best cross-validated MCC",
    "SMOTE": "points on segments between a positive and one of its 5 nearest positives, to balance",
    "jitter": "training positives plus gaussian noise (std 0.3), to balance",
    "WGAN-GP": "samples of an FFPredGAN-style generator, to balance",
    "class-weighted + WGAN-GP": "as many GAN samples as real positives (FFPredGAN's 1:1), then class weights",
    "FFPredGAN as published": "1:1 GAN samples that passed the 1-NN test, CV over the augmented set, "
    "FFPredGAN's grid, Platt probability >= 0.5",
}

JITTER_STD = 0.3
#: libsvm's iteration cap for FFPredGAN's grid: with a linear kernel and C >= 100 the solver does not
#: converge on these data (the classes overlap) and would otherwise run for many minutes per fit
PUBLISHED_MAX_ITER = 100_000
_TRAINED: dict = {}  # recently trained generators, by their positives and settings


def gan_steps(k: int) -> int:
    """Generator steps for a GAN on ``k`` positives: 300 up to 10, 400 up to 25, 500 above
    (FFPredGAN ran 100,000; chapter 6 shows where its snapshots settle)."""
    return 300 if k <= 10 else 400 if k <= 25 else 500


@dataclass
class FFPredGAN:
    """A trained FFPredGAN-style generator and how it was chosen."""

    generator: torch.nn.Module  # the chosen snapshot, in eval mode, on the training device
    step: int  # generator step of the chosen snapshot
    accuracy: float  # its 1-NN accuracy against the training positives
    sample: np.ndarray  # the probe sample that passed the test (as many points as positives)
    snapshots: list[dict] = field(repr=False)  # step, acc (and w1) of every snapshot
    history: History = field(repr=False)


def train_ffpredgan(
    positives,
    *,
    seed: int,
    steps: int,
    hidden: int = 64,
    depth: int = 2,
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.5, 0.9),
    penalty_weight: float = 0.1,
    n_critic: int = 5,
    snapshot_every: int = 25,
    track_w1: bool = False,
    device: torch.device | str | None = None,
    progress: bool = False,
) -> FFPredGAN:
    """WGAN-GP on the positives alone (full batch), keeping the snapshot whose leave-one-out 1-NN
    accuracy against those positives is closest to 0.5 (FFPredGAN; Wan & Jones 2020).

    ``seed`` is a book seed (shifted by ``WGANLIB_SEED_OFFSET``); the same seed gives the same
    generator. ``track_w1`` also records the exact W1 between the positives and each snapshot's
    sample. FFPredGAN's own networks are wider (512 and 86 units) and run 100,000 steps at lr 1e-4.
    """
    pos = np.asarray(positives, dtype=np.float64)
    if pos.ndim != 2 or len(pos) < 2:
        raise ValueError(f"positives must be an (n, d) array with n >= 2, got shape {pos.shape}")
    dev = torch.device(device) if device is not None else torch.device("cpu")
    # the same positives and settings give the same generator: train it once (evaluate() asks for
    # it up to three times per training set, once for each GAN method)
    settings = (shifted_seed(seed), steps, hidden, depth, lr, tuple(betas), penalty_weight, n_critic,
                snapshot_every, track_w1, str(dev), pos.shape)  # fmt: skip
    key = (hashlib.sha1(np.ascontiguousarray(pos).tobytes()).hexdigest(), settings)
    if key in _TRAINED:
        return _TRAINED[key]
    dim = pos.shape[1]
    real = torch.tensor(pos, dtype=torch.float32, device=dev)
    torch.manual_seed(shifted_seed(seed))  # the networks' initial weights
    G = mlp_generator(dim, dim, hidden=hidden, depth=depth).to(dev)
    D = mlp_critic(dim, hidden=hidden, depth=depth, norm="none").to(dev)
    probe = torch.randn(len(real), dim, generator=seeded_generator(seed)).to(dev)
    snapshots: list[dict] = []

    def take_snapshot(step, history):
        if (step + 1) % snapshot_every == 0:
            with torch.no_grad():
                fake = G(probe).cpu().numpy().astype(np.float64)
            snap = {"step": step + 1, "acc": loo_1nn_accuracy(pos, fake), "sample": fake}
            if track_w1:
                snap["w1"] = wasserstein1(pos, fake)
            snap["state"] = copy.deepcopy(G.state_dict())
            snapshots.append(snap)

    history = train_gan(
        G, D, lambda n: real, steps=steps, loss="wgan-gp", n_critic=n_critic, batch_size=len(real),
        lr=lr, betas=betas, penalty_weight=penalty_weight, seed=shifted_seed(seed), progress=progress,
        callback=take_snapshot,
    )  # fmt: skip
    if not snapshots:
        raise ValueError(f"steps={steps} is shorter than snapshot_every={snapshot_every}: no snapshot to choose")
    chosen = min(snapshots, key=lambda s: abs(s["acc"] - 0.5))
    G.load_state_dict(chosen["state"])
    for snap in snapshots:
        del snap["state"]
    result = FFPredGAN(G.eval(), chosen["step"], chosen["acc"], chosen["sample"], snapshots, history)
    if len(_TRAINED) >= 32:
        _TRAINED.pop(next(iter(_TRAINED)))
    _TRAINED[key] = result
    return result


def synthesise(generator: torch.nn.Module, n: int, seed: int) -> np.ndarray:
    """``n`` samples of a trained generator (noise of the size of its first layer's input)."""
    first = next(m for m in generator.modules() if isinstance(m, torch.nn.Linear))
    param = next(generator.parameters())
    z = torch.randn(n, first.in_features, generator=seeded_generator(10_000 + seed))
    with torch.no_grad():
        return generator(z.to(param.device)).cpu().numpy().astype(np.float64)


def jitter(positives, n: int, *, seed: int, std: float = JITTER_STD) -> np.ndarray:
    """``n`` copies of randomly chosen positives, each plus gaussian noise of standard deviation ``std``."""
    pos = np.asarray(positives, dtype=np.float64)
    rng = seeded_rng(seed)
    return pos[rng.integers(0, len(pos), n)] + std * rng.standard_normal((n, pos.shape[1]))


def smote(positives, n: int, *, seed: int, k_neighbors: int = 5) -> np.ndarray:
    """SMOTE (Chawla et al. 2002): ``n`` points, each on the segment between a random positive and one
    of its ``k_neighbors`` nearest other positives, at a uniform random position."""
    from sklearn.neighbors import NearestNeighbors

    pos = np.asarray(positives, dtype=np.float64)
    if len(pos) < 2:
        raise ValueError("SMOTE needs at least 2 positives")
    k = min(k_neighbors, len(pos) - 1)
    neighbours = NearestNeighbors(n_neighbors=k + 1).fit(pos).kneighbors(pos, return_distance=False)[:, 1:]
    rng = seeded_rng(seed)
    base = rng.integers(0, len(pos), n)
    other = neighbours[base, rng.integers(0, k, n)]
    return pos[base] + rng.random((n, 1)) * (pos[other] - pos[base])


def scores(y_true, score, *, threshold: float = 0.0, prevalence: float = 0.05) -> dict[str, float]:
    """MCC of ``score > threshold``, ROC-AUC, and the area under the precision-recall curve that the
    same scores would give if positives were a share ``prevalence`` of the test set.

    The last one reweights the classes of the test set (average precision with sample weights), so a
    balanced test set stands in for a realistic one with the same class-conditional scores.
    """
    from sklearn.metrics import average_precision_score, matthews_corrcoef, roc_auc_score

    y = np.asarray(y_true)
    s = np.asarray(score, dtype=np.float64)
    n_pos, n_neg = int((y == 1).sum()), int((y == 0).sum())
    weight = np.where(y == 1, prevalence / n_pos, (1 - prevalence) / n_neg)
    return {
        "MCC": float(matthews_corrcoef(y, s > threshold)),
        "AUC": float(roc_auc_score(y, s)),
        "AUPRC": float(average_precision_score(y, s, sample_weight=weight)),
    }


def _best_threshold(y, decision) -> tuple[float, float]:
    """The cut on ``decision`` (positive above it) with the largest MCC on (y, decision), among the
    midpoints between consecutive distinct values and one cut above and below them all; and that MCC."""
    y, decision = np.asarray(y), np.asarray(decision, dtype=np.float64)
    order = np.argsort(-decision, kind="stable")
    d, t = decision[order], y[order]
    # predicting the top j as positive, for every j at which the decision value changes
    j = np.r_[0, np.flatnonzero(d[:-1] > d[1:]) + 1, len(d)]
    tp = np.r_[0, np.cumsum(t)][j].astype(np.float64)
    fp = j - tp
    fn, tn = t.sum() - tp, (len(t) - t.sum()) - fp
    den = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    mcc = np.divide(tp * tn - fp * fn, den, out=np.zeros_like(den), where=den > 0)
    i = int(np.argmax(mcc))
    best = j[i]
    if best == 0:
        return float(d[0] + 1.0), float(mcc[i])
    if best == len(d):
        return float(d[-1] - 1.0), float(mcc[i])
    return float((d[best - 1] + d[best]) / 2), float(mcc[i])


def _synthetic(method, positives, n_negatives, seed, device):
    """Synthetic positives of one method from (standardised) training positives, and class weights.
    Methods that balance make ``n_negatives - k`` positives (``n_negatives``: of the same rows)."""
    k = len(positives)
    if method in ("real only", "tuned threshold"):
        return np.empty((0, positives.shape[1])), None
    if method == "class-weighted":
        return np.empty((0, positives.shape[1])), "balanced"
    if method == "SMOTE":
        return smote(positives, n_negatives - k, seed=seed), None
    if method == "jitter":
        return jitter(positives, n_negatives - k, seed=seed), None
    if method in ("WGAN-GP", "class-weighted + WGAN-GP"):
        gan = train_ffpredgan(positives, seed=seed, steps=gan_steps(k), device=device)
        if method == "WGAN-GP":
            return synthesise(gan.generator, n_negatives - k, seed), None
        return synthesise(gan.generator, k, seed), "balanced"
    raise ValueError(f"unknown method {method!r}; choose one of {list(METHODS)}")


def _fit(X, y, extra, weight, C, gamma):
    from sklearn.svm import SVC

    Xa = np.concatenate([X, extra])
    ya = np.concatenate([y, np.ones(len(extra), dtype=y.dtype)])
    return SVC(C=C, gamma=gamma, class_weight=weight).fit(Xa, ya)


def evaluate(
    method: str,
    X_train,
    y_train,
    X_test,
    y_test,
    *,
    seed: int,
    groups=None,
    folds: int = 3,
    grid: dict | None = None,
    device: torch.device | str | None = None,
) -> dict:
    """Train one method on a training set and score it on a test set, without leakage.

    Features are raw (unstandardised). For each cross-validation fold (stratified; grouped by
    ``groups`` when given) the scaler and the synthetic positives are made from that fold's
    training rows only; the SVM's ``C`` and ``gamma`` maximise the MCC of the pooled out-of-fold
    decisions over :data:`GRID`; the final model is refitted the same way on the whole training set.
    Returns :func:`scores` on the test set plus the chosen ``C``, ``gamma`` and ``threshold``.
    """
    from sklearn.metrics import matthews_corrcoef
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
    from sklearn.preprocessing import StandardScaler

    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {list(METHODS)}")
    X, y = np.asarray(X_train, dtype=np.float64), np.asarray(y_train)
    Xt, yt = np.asarray(X_test, dtype=np.float64), np.asarray(y_test)
    if method == "FFPredGAN as published":
        return _evaluate_published(X, y, Xt, yt, seed=seed, device=device)
    grid = GRID if grid is None else grid
    params = [(C, g) for C in grid["C"] for g in grid["gamma"]]
    if groups is None:
        splitter = StratifiedKFold(folds, shuffle=True, random_state=shifted_seed(seed))
        splits = splitter.split(X, y)
    else:
        splitter = StratifiedGroupKFold(folds, shuffle=True, random_state=shifted_seed(seed))
        splits = splitter.split(X, y, np.asarray(groups))
    oof = np.zeros((len(params), len(y)))  # out-of-fold decision values per grid point
    for i, (fit, val) in enumerate(splits):
        scaler = StandardScaler().fit(X[fit])  # the fold's training rows only
        Xf, Xv = scaler.transform(X[fit]), scaler.transform(X[val])
        n_neg = int((y[fit] == 0).sum())
        extra, weight = _synthetic(method, Xf[y[fit] == 1], n_neg, 1000 * seed + i, device)
        for j, (C, g) in enumerate(params):
            oof[j, val] = _fit(Xf, y[fit], extra, weight, C, g).decision_function(Xv)
    if method == "tuned threshold":  # each grid point at its own best threshold
        tuned = [_best_threshold(y, o) for o in oof]
        best = int(np.argmax([mcc for _, mcc in tuned]))  # the first of equals: grid order
        threshold = tuned[best][0]
    else:
        best = int(np.argmax([matthews_corrcoef(y, o > 0) for o in oof]))
        threshold = 0.0
    scaler = StandardScaler().fit(X)
    Xs = scaler.transform(X)
    extra, weight = _synthetic(method, Xs[y == 1], int((y == 0).sum()), seed, device)
    model = _fit(Xs, y, extra, weight, *params[best])
    result = scores(yt, model.decision_function(scaler.transform(Xt)), threshold=threshold)
    return {**result, "C": params[best][0], "gamma": params[best][1], "threshold": threshold}


def _evaluate_published(X, y, Xt, yt, *, seed, device):
    """FFPredGAN's published protocol: one GAN on all training positives; its chosen sample (as many
    points as positives) added to the training set; 5-fold CV over the augmented set (synthetic rows
    in the folds); its grid; Platt-scaled probabilities, positive at >= 0.5."""
    import warnings

    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.metrics import make_scorer, matthews_corrcoef
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    scaler = StandardScaler().fit(X)
    Xs = scaler.transform(X)
    gan = train_ffpredgan(Xs[y == 1], seed=seed, steps=gan_steps(int((y == 1).sum())), device=device)
    Xa = np.concatenate([Xs, gan.sample])
    ya = np.concatenate([y, np.ones(len(gan.sample), dtype=y.dtype)])
    cv = StratifiedKFold(5, shuffle=True, random_state=shifted_seed(seed))
    svc = SVC(max_iter=PUBLISHED_MAX_ITER)
    search = GridSearchCV(svc, FFPREDGAN_GRID, scoring=make_scorer(matthews_corrcoef), cv=cv, n_jobs=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MCC of a fold without predicted positives; capped iterations
        best = search.fit(Xa, ya).best_params_
        platt = CalibratedClassifierCV(SVC(**best, max_iter=PUBLISHED_MAX_ITER), method="sigmoid", ensemble=False, cv=5)
        platt.fit(Xa, ya)
    probability = platt.predict_proba(scaler.transform(Xt))[:, 1]
    result = scores(yt, probability, threshold=np.nextafter(0.5, 0))  # >= 0.5, as FFPredGAN
    return {**result, "C": best["C"], "gamma": best.get("gamma", float("nan")), "threshold": 0.5}


def protocol_fingerprint() -> str:
    """A short hash of the code that defines the protocol: the functions and constants of this module
    that make synthetic data, fit and score, the names of ``METHODS``, and ``proteins.scarce_split`` and
    ``proteins.kmer_clusters``, as source text without comments, docstrings or blank lines
    (:mod:`wganlib._fingerprint`, the same under every Python version). The committed study records
    it; chapter 6 and a unit test check it, so a study made by other code cannot pass for this one."""
    from ._fingerprint import code_fingerprint

    return code_fingerprint([
        ("augment.py", ("GRID", "FFPREDGAN_GRID", "JITTER_STD", "PUBLISHED_MAX_ITER", "gan_steps", "train_ffpredgan",
                        "synthesise", "jitter", "smote", "scores", "_best_threshold", "_synthetic", "_fit",
                        "evaluate", "_evaluate_published")),
        ("proteins.py", ("scarce_split", "kmer_clusters")),
    ], extra=repr(list(METHODS)))  # fmt: skip


def study_path():
    """Where the committed study of ``benchmarks/protein_study.py`` lies (inside the package, so that
    it is there in Colab too)."""
    from importlib.resources import files

    return files("wganlib") / "results" / "protein_study.csv"
