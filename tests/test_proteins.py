"""wganlib.proteins: loading, featurising and the scarce-positive splits of chapter 6."""

import numpy as np
import pytest

pytest.importorskip("modlamp")
pytest.importorskip("peptides")

from wganlib import proteins as P  # noqa: E402


@pytest.fixture(scope="module")
def amp():
    return P.load_peptides("amp")


def test_load_peptides_unique_with_binary_labels(amp):
    seqs, y = amp
    assert len(seqs) == len(y) == len(set(seqs))
    assert y.dtype == np.int64 and set(np.unique(y)) == {0, 1}
    assert 2000 < (y == 1).sum() <= 2600 and 2000 < (y == 0).sum() <= 2600
    assert all(s.isalpha() and s.isupper() for s in seqs)


@pytest.mark.parametrize("name", sorted(P.DATASETS))
def test_every_dataset_loads(name):
    seqs, y = P.load_peptides(name)
    assert len(seqs) == len(y) > 100 and set(np.unique(y)) == {0, 1}


def test_unknown_dataset_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown peptide data set 'nope'.*'amp'"):
        P.load_peptides("nope")
    with pytest.raises(ValueError, match="unknown peptide data set"):
        P.load_features("nope")


def test_featurize_shapes_and_names():
    seqs = ["GLWSKIKEVGKEAAKAAAKAAGKAALGAVSEAV", "KWKLFKKIGAVLKVL", "ACDEFGH"]
    x = P.featurize(seqs)
    names = P.feature_names()
    assert x.shape == (3, len(names)) == (3, 110)
    assert x.dtype == np.float64 and np.isfinite(x).all()
    assert names[-len(P.GLOBAL_FEATURES) :] == list(P.GLOBAL_FEATURES)
    assert x[0, names.index("log10_length")] == pytest.approx(np.log10(33))
    # a cationic peptide (many K) has a positive net charge
    assert x[1, names.index("charge")] > 2


def test_featurize_rejects_bad_input():
    with pytest.raises(ValueError, match="not a single string"):
        P.featurize("KWKLFKK")
    with pytest.raises(ValueError, match="non-empty string"):
        P.featurize(["KWK", ""])


def test_load_features_caches(tmp_path, monkeypatch):
    calls = []

    def fake_featurize(seqs, progress=False):
        calls.append(len(seqs))
        return np.arange(len(seqs) * 110, dtype=float).reshape(len(seqs), 110)

    monkeypatch.setattr(P, "featurize", fake_featurize)
    first = P.load_features("amp-tm", cache=tmp_path, progress=False)
    second = P.load_features("amp-tm", cache=tmp_path, progress=False)
    assert calls == [len(first.sequences)], "the second call must read the cache"
    assert not first.from_cache and second.from_cache
    np.testing.assert_array_equal(first.features, second.features)
    assert second.sequences == first.sequences and second.names == P.feature_names()
    P.load_features("amp-tm", cache=tmp_path, use_cache=False, progress=False)
    assert len(calls) == 2


@pytest.mark.parametrize("k", [2, 10, 100])
def test_split_shapes_and_balance(amp, k):
    _, y = amp
    s = P.scarce_split(y, k, n_negatives=300, n_test=200, seed=3)
    assert (y[s.train] == 1).sum() == k and (y[s.train] == 0).sum() == 300
    assert (y[s.test] == 1).sum() == 200 and (y[s.test] == 0).sum() == 200
    assert (y[s.reserve] == 1).all() and len(s.reserve) == (y == 1).sum() - 200 - k
    assert s.k == k and s.seed == 3


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_no_test_sequence_in_any_training_set(amp, seed):
    seqs, y = amp
    test_seqs = None
    for k in (10, 25, 100):
        s = P.scarce_split(y, k, seed=seed)
        train = {seqs[i] for i in s.train}
        test = {seqs[i] for i in s.test}
        reserve = {seqs[i] for i in s.reserve}
        assert not train & test and not train & reserve and not test & reserve
        test_seqs = test if test_seqs is None else test_seqs
        assert test == test_seqs, "the test set must not depend on k or seed"


def test_splits_are_deterministic_per_seed(amp):
    _, y = amp
    a, b = P.scarce_split(y, 25, seed=7), P.scarce_split(y, 25, seed=7)
    for field in ("train", "test", "reserve"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    c = P.scarce_split(y, 25, seed=8)
    np.testing.assert_array_equal(a.test, c.test)
    assert not np.array_equal(a.train, c.train)


def test_split_rejects_bad_input(amp):
    _, y = amp
    with pytest.raises(ValueError, match="k=5000 is larger than the"):
        P.scarce_split(y, 5000)
    with pytest.raises(ValueError, match="k must be an int >= 2"):
        P.scarce_split(y, 1)
    with pytest.raises(ValueError, match="n_negatives=.* is larger"):
        P.scarce_split(y, 10, n_negatives=10_000)
    with pytest.raises(ValueError, match="n_test=.* leaves no training data"):
        P.scarce_split(y, 10, n_test=3000)
    with pytest.raises(ValueError, match="0s and 1s"):
        P.scarce_split(np.array([0, 1, 2]), 2)


def test_loo_1nn_accuracy():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(40, 3))
    assert P.loo_1nn_accuracy(a, a + 100) == 1.0  # separated
    assert P.loo_1nn_accuracy(a, a + 1e-6) == 0.0  # copies: each point's neighbour is its twin
    same = np.mean(
        [P.loo_1nn_accuracy(rng.normal(size=(100, 3)), rng.normal(size=(100, 3))) for _ in range(10)]
    )
    assert abs(same - 0.5) < 0.08
    # brute force on a small case
    b = rng.normal(0.7, 1.0, size=(15, 3))
    x, o = np.r_[a[:10], b], np.r_[np.zeros(10), np.ones(15)]
    d = np.linalg.norm(x[:, None] - x[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    assert P.loo_1nn_accuracy(a[:10], b) == pytest.approx(np.mean(o[d.argmin(1)] == o))
    with pytest.raises(ValueError, match="must be"):
        P.loo_1nn_accuracy(a, rng.normal(size=(5, 2)))


def test_exercise_check_accepts_reference_and_explains_stubs(capsys):
    from wganlib import exercises

    exercises.check_loo_1nn_accuracy(P.loo_1nn_accuracy)
    assert "checks pass" in capsys.readouterr().out

    def stub(real, synthetic):
        raise NotImplementedError()

    with pytest.raises(
        exercises.CheckFailed, match="is not implemented yet: replace `raise NotImplementedError"
    ):
        exercises.check_loo_1nn_accuracy(stub)


def test_kmer_clusters_link_close_variants_and_chains():
    seqs = ["GLFDIIKKIAESF", "GLFDIIKKIAESW", "GLFDIIKKIAQSW", "KWKLFKKIGAVLKVL", "AC"]
    g = P.kmer_clusters(seqs)
    assert g.shape == (5,) and g[0] == g[1] == g[2]  # one substitution each: a chain, one cluster
    assert len({g[0], g[3], g[4]}) == 3  # unrelated sequences and one shorter than k stay alone
    assert (P.kmer_clusters(seqs, threshold=1.0) == np.arange(5)).all()  # only identical k-mer sets link
    for bad in ({"k": 0}, {"threshold": 0}, {"threshold": 1.5}):
        with pytest.raises(ValueError):
            P.kmer_clusters(seqs, **bad)
    with pytest.raises(ValueError, match="non-empty list of strings"):
        P.kmer_clusters([])


@pytest.mark.parametrize("seed", [0, 1])
def test_cluster_split_keeps_every_cluster_on_one_side(amp, seed):
    seqs, y = amp
    g = P.kmer_clusters(seqs)
    split = P.scarce_split(y, 10, seed=seed, test_seed=seed, groups=g)
    train_pos = split.train[y[split.train] == 1]
    assert len(split.test) == 600 and (y[split.test] == 1).sum() == 300 and len(split.train) == 410
    assert not np.isin(g[split.test], g[split.train]).any()  # no relative of a test sequence trains
    assert not np.isin(g[split.reserve], g[train_pos]).any()  # the reserve is unseen in the same sense
    assert (y[split.reserve] == 1).all() and not np.isin(split.reserve, split.train).any()
    # a random split does put relatives of test sequences into training
    plain = P.scarce_split(y, 10, seed=seed, test_seed=seed)
    assert np.isin(g[plain.test], g[plain.train]).any()
    with pytest.raises(ValueError, match="one cluster id per label"):
        P.scarce_split(y, 10, groups=g[:-1])
