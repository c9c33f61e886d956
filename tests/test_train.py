import math

import pytest
import torch

import wganlib
from wganlib import data, metrics, models
from wganlib.train import LOSSES, History


def eight(n):
    return data.sample("8gaussians", n)


def small_pair(seed=0, hidden=32, norm="none", spectral_norm=False):
    torch.manual_seed(seed)
    return (
        models.mlp_generator(2, 2, hidden=hidden, depth=2),
        models.mlp_critic(2, hidden=hidden, depth=2, norm=norm, spectral_norm=spectral_norm),
    )


@pytest.mark.parametrize("loss", list(LOSSES))
def test_every_loss_trains_and_records_history(loss):
    g, c = small_pair(spectral_norm=(loss == "hinge"))
    opt = "rmsprop" if loss == "wgan" else "adam"
    h = wganlib.train_gan(
        g, c, eight, steps=5, loss=loss, n_critic=2, batch_size=32, optimizer=opt, seed=0, progress=False
    )
    assert isinstance(h, History) and len(h) == 5 and h.step == list(range(5))
    for key in ("critic_loss", "generator_loss", "wasserstein", "seconds"):
        assert all(math.isfinite(v) for v in getattr(h, key)), key
    penalised = loss in ("wgan-gp", "wgan-fd", "r1")
    assert all(math.isfinite(v) == penalised for v in h.grad_norm)
    assert h.seconds == sorted(h.seconds)


def test_wgan_clips_the_critic():
    g, c = small_pair()
    wganlib.train_gan(g, c, eight, steps=3, loss="wgan", optimizer="rmsprop", lr=5e-3, seed=0, progress=False)
    assert max(p.abs().max().item() for p in c.parameters()) <= 0.01


def test_short_training_improves_mode_coverage():
    g, c = small_pair(seed=0, hidden=64)
    centres, std = data.centres("8gaussians"), data.mode_std("8gaussians")
    z = torch.randn(2000, 2, generator=torch.Generator().manual_seed(5))
    real = data.sample("8gaussians", 2000, generator=torch.Generator().manual_seed(6))
    with torch.no_grad():
        before = metrics.mode_coverage(g(z), centres, std)
        w_before = metrics.wasserstein1(g(z), real)
    # 600 generator steps, about 6 s on one core: far from converged, but clearly better
    wganlib.train_gan(g, c, eight, steps=600, n_critic=5, batch_size=256, lr=1e-3, betas=(0.5, 0.9),
                      penalty_weight=1.0, seed=0, progress=False)  # fmt: skip
    with torch.no_grad():
        after = metrics.mode_coverage(g(z), centres, std)
        w_after = metrics.wasserstein1(g(z), real)
    assert before.modes == 0 and after.modes >= 2, (before, after)
    assert after.high_quality > before.high_quality + 0.08, (before, after)
    assert w_after < 0.5 * w_before, (w_before, w_after)


def test_same_seed_same_history_and_global_state_untouched():
    def run():
        g, c = small_pair(seed=1)
        h = wganlib.train_gan(g, c, eight, steps=8, n_critic=3, batch_size=64, seed=42, progress=False)
        return h

    torch.manual_seed(7)
    state = torch.get_rng_state()
    a, b = run(), run()
    for key in ("critic_loss", "generator_loss", "wasserstein", "penalty", "grad_norm"):
        assert getattr(a, key) == getattr(b, key), key
    torch.manual_seed(7)
    assert torch.equal(torch.get_rng_state(), state)
    g, c = small_pair(seed=1)
    before = torch.get_rng_state()
    wganlib.train_gan(g, c, eight, steps=2, n_critic=1, batch_size=8, seed=3, progress=False)
    assert torch.equal(torch.get_rng_state(), before)  # fork_rng restored the caller's state


def test_nan_loss_stops_with_the_step_and_a_cause():
    calls = {"n": 0}

    def poisoned(n):
        calls["n"] += 1
        x = eight(n)
        return x * float("nan") if calls["n"] > 6 else x

    g, c = small_pair()
    with pytest.raises(FloatingPointError, match="diverged at generator step 3.*Lower lr"):
        wganlib.train_gan(g, c, poisoned, steps=10, n_critic=2, batch_size=16, progress=False)


def test_float64_data_names_the_dtype_and_the_fix():
    g, c = small_pair()
    cause = r"returned torch.float64 data but the critic's weights are torch.float32.*x.to\(torch.float32\)"
    with pytest.raises(TypeError, match=cause):
        wganlib.train_gan(g, c, lambda n: eight(n).double(), steps=1, batch_size=16, progress=False)
    # either fix the message gives works: float32 data, or both models in float64 (CPU)
    wganlib.train_gan(g, c, lambda n: eight(n).double().float(), steps=1, batch_size=16, progress=False)
    g64, c64 = g.double(), c.double()
    wganlib.train_gan(g64, c64, lambda n: eight(n).double(), steps=1, batch_size=16, progress=False)


@pytest.mark.parametrize("rows", [0, 10, 20])
def test_wrong_number_of_rows_is_named_not_called_divergence(rows):
    g, c = small_pair()
    X = eight(20)[:rows]
    cause = rf"sample_real\(16\) returned {rows} rows.*lower batch_size= or draw rows with replacement"
    with pytest.raises(ValueError, match=cause):
        wganlib.train_gan(g, c, lambda n: X, steps=1, batch_size=16, progress=False)


def test_sampling_rows_with_replacement_fixes_a_small_data_set():
    g, c = small_pair()
    X = eight(10)
    h = wganlib.train_gan(
        g, c, lambda n: X[torch.randint(len(X), (n,))], steps=2, batch_size=16, progress=False
    )
    assert len(h) == 2


def test_bad_settings_are_clear_errors():
    g, c = small_pair()
    with pytest.raises(ValueError, match="unknown loss 'wasserstein'. Known losses: 'gan'"):
        wganlib.train_gan(g, c, eight, steps=1, loss="wasserstein")
    g, bn = small_pair(norm="batch")
    with pytest.raises(ValueError, match="BatchNorm.*norm='layer'"):
        wganlib.train_gan(g, bn, eight, steps=1, loss="wgan-gp")
    with pytest.raises(ValueError, match="unknown optimizer 'adamw'"):
        wganlib.train_gan(g, c, eight, steps=1, optimizer="adamw", progress=False)
    with pytest.raises(ValueError, match="a penalised critic is not clipped"):
        wganlib.train_gan(g, c, eight, steps=1, loss="wgan-gp", clip=0.01)
    g3 = models.mlp_generator(2, 3, hidden=8, depth=1)
    with pytest.raises(ValueError, match=r"generator makes samples of shape \(3,\).*\(2,\)"):
        wganlib.train_gan(g3, c, eight, steps=1, progress=False)
    with pytest.raises(ValueError, match="steps must be a positive int"):
        wganlib.train_gan(g, c, eight, steps=0)


def test_integer_betas_are_accepted():
    g, c = small_pair()
    h = wganlib.train_gan(g, c, eight, steps=1, n_critic=1, batch_size=8, betas=(0, 0.9), progress=False)
    assert len(h) == 1


def test_callback_can_stop_training_and_history_plots():
    g, c = small_pair()
    h = wganlib.train_gan(g, c, eight, steps=50, n_critic=1, batch_size=16, progress=False,
                          callback=lambda step, hist: step == 4)  # fmt: skip
    assert len(h) == 5
    fig = h.plot()
    assert len(fig.axes) == 4  # losses, estimate, gradient norm
    assert set(h.as_dict()) == {
        "step",
        "critic_loss",
        "generator_loss",
        "wasserstein",
        "penalty",
        "grad_norm",
        "seconds",
    }


def test_steps_can_be_used_one_at_a_time():
    g, c = small_pair()
    opt_c = torch.optim.Adam(c.parameters(), lr=1e-3)
    opt_g = torch.optim.Adam(g.parameters(), lr=1e-3)
    real = eight(64)
    stats = wganlib.critic_step(g, c, real, opt_c, loss="wgan-gp", latent_dim=2)
    assert set(stats) == {"critic_loss", "wasserstein", "penalty", "grad_norm"}
    before = [p.clone() for p in g.parameters()]
    loss = wganlib.generator_step(g, c, opt_g, loss="wgan-gp", batch_size=64, latent_dim=2, like=real)
    assert math.isfinite(loss)
    assert any(not torch.equal(a, b) for a, b in zip(before, g.parameters(), strict=False))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_training_on_the_gpu():
    g, c = small_pair()
    h = wganlib.train_gan(g, c, eight, steps=3, device="cuda", seed=0, progress=False)
    assert next(g.parameters()).device.type == "cuda" and len(h) == 3
