"""wganlib.augment: synthetic positives and the leakage-free protocol of chapter 6."""

import numpy as np
import pytest
import torch

pytest.importorskip("sklearn")

from wganlib import augment as A  # noqa: E402
from wganlib.metrics import paired_bootstrap  # noqa: E402


def _toy(seed=0, n_pos=12, n_neg=120, d=6):
    r = np.random.default_rng(seed)
    X = np.r_[r.standard_normal((n_pos, d)) + 1.5, r.standard_normal((n_neg, d))]
    return X, np.r_[np.ones(n_pos, int), np.zeros(n_neg, int)]


def test_jitter_and_smote_shapes_and_geometry():
    pos = np.random.default_rng(0).standard_normal((8, 5))
    j = A.jitter(pos, 50, seed=0, std=0.0)
    assert j.shape == (50, 5) and all(any(np.allclose(p, q) for q in pos) for p in j)  # std 0: copies
    s = A.smote(pos, 200, seed=0, k_neighbors=3)
    assert s.shape == (200, 5)
    # every SMOTE point lies on a segment between two positives: rank of (s - a, b - a) is 1
    on_segment = [min(np.linalg.matrix_rank(np.c_[p - a, b - a], tol=1e-8) for a in pos for b in pos
                      if not np.allclose(a, b)) for p in s[:20]]  # fmt: skip
    assert max(on_segment) == 1
    assert np.array_equal(A.smote(pos, 10, seed=3), A.smote(pos, 10, seed=3))
    with pytest.raises(ValueError, match="at least 2 positives"):
        A.smote(pos[:1], 5, seed=0)


def test_best_threshold_maximises_mcc():
    from sklearn.metrics import matthews_corrcoef

    r = np.random.default_rng(1)
    for _ in range(100):
        n = int(r.integers(4, 50))
        y = r.integers(0, 2, n)
        d = np.round(r.standard_normal(n) + y, 1)
        cut, mcc = A._best_threshold(y, d)
        values = np.unique(d)
        cuts = np.r_[values[0] - 1, (values[:-1] + values[1:]) / 2, values[-1] + 1]
        assert mcc == pytest.approx(max(matthews_corrcoef(y, d > c) for c in cuts), abs=1e-12)
        assert matthews_corrcoef(y, d > cut) == pytest.approx(mcc, abs=1e-12)


def test_scores_reweight_to_the_prevalence():
    y = np.r_[np.ones(50, int), np.zeros(50, int)]
    perfect = A.scores(y, y.astype(float))
    assert perfect == {"MCC": 1.0, "AUC": 1.0, "AUPRC": 1.0}
    chance = A.scores(y, np.random.default_rng(0).standard_normal(100), prevalence=0.05)
    assert chance["AUPRC"] < 0.2  # a random ranking: precision near the prevalence, not 0.5


def test_train_ffpredgan_is_cached_and_picks_the_snapshot_closest_to_half():
    X, y = _toy()
    gan = A.train_ffpredgan(X[y == 1], seed=0, steps=50, hidden=16, depth=1, snapshot_every=10)
    accs = [s["acc"] for s in gan.snapshots]
    assert abs(gan.accuracy - 0.5) == min(abs(a - 0.5) for a in accs) and gan.sample.shape == (12, 6)
    assert A.train_ffpredgan(X[y == 1], seed=0, steps=50, hidden=16, depth=1, snapshot_every=10) is gan
    other = A.train_ffpredgan(X[y == 1], seed=1, steps=50, hidden=16, depth=1, snapshot_every=10)
    assert other is not gan
    x = A.synthesise(gan.generator, 7, seed=0)
    assert x.shape == (7, 6) and np.array_equal(x, A.synthesise(gan.generator, 7, seed=0))
    with pytest.raises(ValueError, match="no snapshot"):
        A.train_ffpredgan(X[y == 1], seed=0, steps=5, snapshot_every=10)


def test_evaluate_fits_augmentation_inside_each_fold(monkeypatch):
    """The synthetic positives of each fold are made from that fold's training positives only: the
    validation positives never reach the augmenter."""
    X, y = _toy()
    seen = []
    real_smote = A.smote

    def spy(positives, n, **kw):
        seen.append(positives.copy())
        return real_smote(positives, n, **kw)

    monkeypatch.setattr(A, "smote", spy)
    result = A.evaluate("SMOTE", X, y, X, y, seed=0, grid={"C": (1.0,), "gamma": (0.1,)})
    assert set(result) >= {"MCC", "AUC", "AUPRC", "C", "gamma", "threshold"}
    assert len(seen) == 4  # three folds and the final refit
    assert [len(p) for p in seen[:3]] == [8, 8, 8] and len(seen[3]) == 12  # 2/3 of 12, then all 12


def test_evaluate_respects_groups_and_rejects_unknown_methods():
    X, y = _toy()
    groups = np.arange(len(y)) // 2  # pairs of rows
    r = A.evaluate("class-weighted", X, y, X, y, seed=0, groups=groups, grid={"C": (1.0,), "gamma": (0.1,)})
    assert r["MCC"] > 0.5
    with pytest.raises(ValueError, match="unknown method 'gan'"):
        A.evaluate("gan", X, y, X, y, seed=0)


def test_tuned_threshold_beats_zero_on_a_shifted_problem():
    X, y = _toy(n_pos=10, n_neg=200)
    Xt, yt = _toy(seed=5, n_pos=200, n_neg=200)  # a balanced test set: positives are 50%, not 5%
    plain = A.evaluate("real only", X, y, Xt, yt, seed=0)
    tuned = A.evaluate("tuned threshold", X, y, Xt, yt, seed=0)
    assert tuned["threshold"] < 0 and tuned["MCC"] > plain["MCC"]


def test_paired_bootstrap():
    a, b = np.arange(20.0), np.arange(20.0) - 1.0
    assert paired_bootstrap(a, b) == (1.0, 1.0, 1.0)  # a constant difference has no spread
    r = np.random.default_rng(0)
    mean, lo, hi = paired_bootstrap(r.standard_normal(30), r.standard_normal(30))
    assert lo < mean < hi and lo < 0 < hi
    mean, lo, hi = paired_bootstrap(r.standard_normal(30) + 2, r.standard_normal(30))
    assert lo > 0
    with pytest.raises(ValueError, match="paired draws"):
        paired_bootstrap([1.0, 2.0], [1.0])


def test_protocol_fingerprint_is_stable_and_the_study_path_is_in_the_package():
    assert A.protocol_fingerprint() == A.protocol_fingerprint() and len(A.protocol_fingerprint()) == 12
    assert str(A.study_path()).endswith("results/protein_study.csv")


def test_gan_runs_on_the_given_device():
    X, y = _toy()
    gan = A.train_ffpredgan(X[y == 1], seed=0, steps=20, hidden=8, depth=1, snapshot_every=10, device="cpu")
    assert next(gan.generator.parameters()).device == torch.device("cpu")



def test_committed_study_was_made_by_this_protocol():
    """Chapter 6 reads the committed study; a change to the protocol's code must come with a rerun of
    ``benchmarks/protein_study.py`` (the chapter checks the same)."""
    first = A.study_path().read_text().splitlines()[0]
    assert first == f"# protocol: {A.protocol_fingerprint()}", (
        "wganlib/results/protein_study.csv was made by other code: rerun benchmarks/protein_study.py"
    )


def test_paired_permutation_p_and_benjamini_hochberg():
    from wganlib.metrics import benjamini_hochberg, paired_permutation_p

    r = np.random.default_rng(0)
    a = r.standard_normal(20)
    assert paired_permutation_p(a + 1.0, a) < 1e-3  # a constant shift of 1 in 20 draws
    assert paired_permutation_p(a, a) == 1.0  # no difference at all
    p_null = [paired_permutation_p(r.standard_normal(20), r.standard_normal(20), n_perm=2000, seed=i) for i in range(40)]
    assert 0.2 < np.mean(np.array(p_null) < 0.5) < 0.8  # roughly uniform under the null
    with pytest.raises(ValueError, match="paired draws"):
        paired_permutation_p([1.0, 2.0], [1.0])
    # Benjamini-Hochberg at q = 0.05, m = 4: thresholds 0.0125, 0.025, 0.0375, 0.05
    assert benjamini_hochberg([0.01, 0.02, 0.03, 0.5]).tolist() == [True, True, True, False]
    assert benjamini_hochberg([0.02, 0.03, 0.04, 0.5]).tolist() == [False, False, False, False]
    assert benjamini_hochberg([0.5, 0.001]).tolist() == [False, True]  # order preserved
    with pytest.raises(ValueError, match="non-empty"):
        benjamini_hochberg([])
