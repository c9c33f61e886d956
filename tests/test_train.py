import copy
import math
import re

import pytest
import torch
from torch.optim.optimizer import register_optimizer_step_post_hook

import wganlib
from wganlib import data, metrics, models
from wganlib.train import LOSSES, History, make_optimizer


def eight(n):
    return data.sample("8gaussians", n)


def small_pair(seed=0, hidden=32, norm="none", spectral_norm=False):
    torch.manual_seed(seed)
    return (
        models.mlp_generator(2, 2, hidden=hidden, depth=2),
        models.mlp_critic(2, hidden=hidden, depth=2, norm=norm, spectral_norm=spectral_norm),
    )


def test_the_toy_preset_written_out():
    g1, c1 = small_pair(seed=2)
    g2, c2 = copy.deepcopy(g1), copy.deepcopy(c1)
    h = wganlib.train_gan(g1, c1, eight, steps=4, batch_size=32, seed=5, progress=False)  # 2-D data: "auto" is "toy"
    assert h.settings["preset"] == "toy" and h.settings["lr_decay"] == "linear"
    torch.manual_seed(5)
    opt_c = torch.optim.Adam(c2.parameters(), lr=2e-3, betas=(0.0, 0.9))
    opt_g = torch.optim.Adam(g2.parameters(), lr=2e-3, betas=(0.0, 0.9))
    losses = []
    for step in range(4):
        for opt in (opt_c, opt_g):
            opt.param_groups[0]["lr"] = 2e-3 * (1 - step / 4)
        for _ in range(5):
            stats = wganlib.critic_step(g2, c2, eight(32), opt_c, penalty_weight=1.0)
        losses.append(wganlib.generator_step(g2, c2, opt_g, batch_size=32))
    assert h.generator_loss == losses and h.critic_loss[-1] == stats["critic_loss"]
    for a, b in zip([*g1.parameters(), *c1.parameters()], [*g2.parameters(), *c2.parameters()], strict=True):
        assert torch.equal(a, b)


def _settings(loss="wgan-gp", shape=(2,), **kwargs):
    torch.manual_seed(0)
    dim = math.prod(shape)
    g = torch.nn.Sequential(models.mlp_generator(2, dim, hidden=8, depth=1), torch.nn.Unflatten(1, shape))
    c = torch.nn.Sequential(torch.nn.Flatten(), models.mlp_critic(dim, hidden=8, depth=1))
    if loss == "wgan" and "optimizer" not in kwargs and kwargs.get("preset") != "auto":
        kwargs["optimizer"] = "rmsprop"
    h = wganlib.train_gan(g, c, lambda n: torch.randn(n, *shape), steps=1, loss=loss, batch_size=8,
                          progress=False, **kwargs)  # fmt: skip
    return h.settings


def test_auto_preset_is_the_toy_recipe_for_low_dimensional_wgan_gp_only():
    toy = _settings()
    assert toy["preset"] == "toy" and toy["loss"] == "wgan-gp" and toy["steps"] == 1
    assert (toy["lr"], toy["betas"], toy["penalty_weight"], toy["n_critic"]) == (2e-3, (0.0, 0.9), 1.0, 5)
    assert _settings(shape=(wganlib.train.LOW_DIMENSIONAL,))["preset"] == "toy"
    for shape in ((wganlib.train.LOW_DIMENSIONAL + 1,), (1, 8, 8), (110,)):  # images, protein features
        paper = _settings(shape=shape)
        assert paper["preset"] == "paper" and paper["lr_decay"] == "constant", shape
        assert (paper["lr"], paper["betas"], paper["penalty_weight"]) == (1e-4, (0.0, 0.9), 10.0)
    for loss in ("wgan-fd", "hinge", "r1", "nsgan", "gan"):  # the recipe was measured for WGAN-GP only
        assert _settings(loss=loss)["preset"] == "paper", loss
    assert _settings(loss="wgan", preset="auto")["preset"] == "paper"


@pytest.mark.parametrize("loss", list(LOSSES))
def test_the_paper_preset_is_each_losss_table_entry(loss):
    spec = LOSSES[loss]
    s = _settings(loss=loss, preset="paper", optimizer=None)
    assert (s["optimizer"], s["lr"], s["lr_generator"], s["betas"], s["n_critic"], s["clip"], s["lr_decay"]) == (
        spec.optimizer, spec.lr, spec.lr, spec.betas, spec.n_critic, spec.clip, "constant")  # fmt: skip
    assert s["penalty_weight"] == (spec.penalty_weight if spec.penalty else None)


def test_any_setting_of_ones_own_makes_auto_the_paper_preset():
    for own in (dict(lr=1e-3), dict(betas=(0.5, 0.9)), dict(penalty_weight=0.1), dict(n_critic=2),
                dict(lr_decay="linear"), dict(lr_generator=1e-3), dict(optimizer="adam")):  # fmt: skip
        s = _settings(**own)
        assert s["preset"] == "paper", own
    s = _settings(lr=1e-3, penalty_weight=1.0)
    assert (s["lr"], s["penalty_weight"], s["betas"], s["lr_decay"]) == (1e-3, 1.0, (0.0, 0.9), "constant")
    assert _settings(ema=0.9)["preset"] == "toy"  # the average is not a setting of the recipe


def test_explicit_settings_override_the_toy_preset():
    s = _settings(preset="toy", lr=1e-3, betas=(0.5, 0.9), penalty_weight=0.1, n_critic=2, lr_decay="constant")
    assert (s["preset"], s["lr"], s["betas"], s["penalty_weight"], s["n_critic"], s["lr_decay"]) == (
        "toy", 1e-3, (0.5, 0.9), 0.1, 2, "constant")  # fmt: skip
    s = _settings(preset="paper", lr_decay="linear", lr_generator=3e-4)
    assert (s["lr"], s["lr_generator"], s["lr_decay"], s["penalty_weight"]) == (1e-4, 3e-4, "linear", 10.0)
    s = _settings(preset="toy", optimizer="rmsprop")
    assert s["optimizer"] == "rmsprop" and s["betas"] is None and s["lr"] == 2e-3


def test_settings_of_ones_own_are_checked_before_any_data_is_drawn():
    g, c = small_pair()

    def no_data(n):
        raise AssertionError("sample_real was called before the settings were checked")

    for bad, message in ((dict(optimizer="adamw"), "unknown optimizer"), (dict(lr=-1.0), "learning rate"),
                         (dict(optimizer="rmsprop", betas=(0.5, 0.9)), "betas are Adam's")):  # fmt: skip
        with pytest.raises(ValueError, match=message):
            wganlib.train_gan(g, c, no_data, steps=1, batch_size=8, progress=False, **bad)


def test_presets_refuse_what_they_do_not_cover():
    with pytest.raises(ValueError, match="unknown preset 'images'; choose 'auto', 'paper', 'toy'"):
        _settings(preset="images")
    with pytest.raises(ValueError, match="preset='toy' was measured for loss 'wgan-gp' only"):
        _settings(loss="hinge", preset="toy")
    with pytest.raises(ValueError, match="lr_decay must be 'constant', 'linear' or None"):
        _settings(lr_decay="cosine")


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
                      penalty_weight=1.0, seed=0, progress=False, preset="paper")  # fmt: skip
    with torch.no_grad():
        after = metrics.mode_coverage(g(z), centres, std)
        w_after = metrics.wasserstein1(g(z), real)
    # seeds 0-1 measured: 1-5 modes, 11-33% high quality, W1 1.30 -> 0.20 and 1.36 -> 0.17
    assert before.modes == 0 and after.modes >= 1, (before, after)
    assert after.high_quality > before.high_quality + 0.05, (before, after)
    assert w_after < 0.5 * w_before, (w_before, w_after)


def test_same_seed_same_history_whatever_the_global_state():
    def run(global_seed, seed):
        torch.manual_seed(global_seed)  # a different global stream before each run
        g, c = small_pair(seed=1)
        return wganlib.train_gan(g, c, eight, steps=4, n_critic=2, batch_size=64, seed=seed, progress=False)

    a, b, other = run(1, 42), run(2, 42), run(1, 43)
    for key in ("critic_loss", "generator_loss", "wasserstein", "penalty", "grad_norm"):
        assert getattr(a, key) == getattr(b, key), key
    assert a.critic_loss != other.critic_loss  # the seed is used


def test_seeded_training_restores_the_callers_random_state():
    g, c = small_pair(seed=1)
    torch.manual_seed(123)
    before = torch.get_rng_state()
    expected = torch.rand(3)  # what the caller's next draw would have been
    torch.set_rng_state(before)
    wganlib.train_gan(g, c, eight, steps=2, n_critic=1, batch_size=8, seed=3, progress=False)
    assert torch.equal(torch.rand(3), expected)
    # without seed= training draws from the caller's stream, as documented
    torch.set_rng_state(before)
    wganlib.train_gan(g, c, eight, steps=2, n_critic=1, batch_size=8, progress=False)
    assert not torch.equal(torch.rand(3), expected)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_seeded_training_restores_every_cuda_device():
    states = torch.cuda.get_rng_state_all()
    g, c = small_pair()
    wganlib.train_gan(g, c, eight, steps=2, n_critic=1, batch_size=8, device="cuda", seed=3, progress=False)
    after = torch.cuda.get_rng_state_all()
    assert len(after) == len(states) and all(torch.equal(a, b) for a, b in zip(states, after, strict=True))


def _batches(n, seed=0):
    return data.sample("8gaussians", n, generator=torch.Generator().manual_seed(seed))


def _expected_critic_loss(loss, critic, real, fake, weight, alphas):
    """The critic loss of each loss written out independently of wganlib.train, with the same draws."""
    r, f = critic(real).reshape(-1), critic(fake).reshape(-1)
    bce = torch.nn.functional.softplus(-r).mean() + torch.nn.functional.softplus(f).mean()
    wgan = f.mean() - r.mean()

    def norms_at(x):
        x = x.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(critic(x).sum(), x)
        return grad.norm(dim=1)

    if loss in ("gan", "nsgan"):
        return bce
    if loss == "wgan":
        return wgan
    if loss == "hinge":
        return torch.relu(1 - r).mean() + torch.relu(1 + f).mean()
    if loss == "wgan-gp":
        x_hat = alphas[0] * real + (1 - alphas[0]) * fake
        return wgan + weight * ((norms_at(x_hat) - 1) ** 2).mean()
    if loss == "wgan-fd":
        x1 = alphas[0] * real + (1 - alphas[0]) * fake
        x2 = alphas[1] * real + (1 - alphas[1]) * fake
        slopes = (critic(x1) - critic(x2)).reshape(-1).abs() / (x1 - x2).norm(dim=1)
        return wgan + weight * ((slopes - 1) ** 2).mean()
    if loss == "r1":
        return bce + 0.5 * weight * (norms_at(real) ** 2).mean()  # gamma / 2 * R1
    raise AssertionError(loss)


@pytest.mark.parametrize("loss", list(LOSSES))
def test_critic_loss_is_base_loss_plus_weight_times_penalty(loss):
    g, c = small_pair(seed=3)
    real = _batches(64)
    spec = LOSSES[loss]
    weight = 3.0 if spec.penalty else None  # not the default, so an ignored weight shows
    opt = torch.optim.SGD(c.parameters(), lr=0.0)
    torch.manual_seed(11)
    stats = wganlib.critic_step(g, c, real, opt, loss=loss, penalty_weight=weight,
                                **({"clip": 10.0} if spec.clip else {}))  # fmt: skip
    # the same draws in the same order: the noise, then one alpha per sample per interpolate
    torch.manual_seed(11)
    z = torch.randn(64, 2)
    alphas = [torch.rand(64, 1), torch.rand(64, 1)]
    with torch.no_grad():
        fake = g(z)
    want = _expected_critic_loss(loss, c, real, fake, weight, alphas)
    assert stats["critic_loss"] == pytest.approx(want.item(), rel=1e-5, abs=1e-6)
    assert math.isfinite(stats["penalty"]) == (spec.penalty is not None)


def test_r1_adds_half_gamma_and_lambda_is_used():
    g, c = small_pair(seed=3)
    real = _batches(64)
    opt = torch.optim.SGD(c.parameters(), lr=0.0)
    out = {}
    for weight in (0.0, 2.0, 4.0):
        torch.manual_seed(5)
        out[weight] = wganlib.critic_step(g, c, real, opt, loss="r1", penalty_weight=weight)
    base, pen = out[0.0]["critic_loss"], out[2.0]["penalty"]
    assert out[2.0]["critic_loss"] == pytest.approx(base + 0.5 * 2.0 * pen, rel=1e-6)
    assert out[4.0]["critic_loss"] == pytest.approx(base + 0.5 * 4.0 * pen, rel=1e-6)


def test_wasserstein_estimate_has_the_documented_sign():
    # critic f(x) = x_0; real points at x_0 = +1, every fake at x_0 = -1: estimate f(real) - f(fake) = 2
    critic = torch.nn.Linear(2, 1)
    gen = torch.nn.Linear(2, 2)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[1.0, 0.0]]))
        critic.bias.zero_()
        gen.weight.zero_()
        gen.bias.copy_(torch.tensor([-1.0, 0.0]))
    real = torch.tensor([[1.0, 0.0]]).repeat(16, 1)
    h = wganlib.train_gan(gen, critic, lambda n: real[:n], steps=2, loss="wgan-gp", n_critic=1, batch_size=16,
                          lr=0.0, progress=False)  # fmt: skip
    assert h.wasserstein == [2.0, 2.0]
    stats = wganlib.critic_step(gen, critic, real, torch.optim.SGD(critic.parameters(), lr=0.0), loss="wgan",
                                clip=10.0)  # fmt: skip
    assert stats["wasserstein"] == 2.0 and stats["critic_loss"] == -2.0


@pytest.mark.parametrize("loss,n_critic", [("wgan-gp", None), ("wgan", 3), ("nsgan", None)])
def test_critic_steps_per_generator_step(loss, n_critic):
    steps = {"critic": 0, "generator": 0}
    g, c = small_pair()
    critic_params = {id(p) for p in c.parameters()}

    def count(opt, args, kwargs):
        who = "critic" if id(opt.param_groups[0]["params"][0]) in critic_params else "generator"
        steps[who] += 1

    handle = register_optimizer_step_post_hook(count)
    try:
        wganlib.train_gan(g, c, eight, steps=4, loss=loss, n_critic=n_critic, batch_size=16, progress=False)
    finally:
        handle.remove()
    want = n_critic if n_critic is not None else LOSSES[loss].n_critic
    assert steps == {"critic": 4 * want, "generator": 4}


def _changed(before, module):
    return any(not torch.equal(a, b) for a, b in zip(before, module.parameters(), strict=True))


def test_learning_rates_reach_their_networks_and_zero_means_frozen():
    g, c = small_pair()
    g0, c0 = [p.clone() for p in g.parameters()], [p.clone() for p in c.parameters()]
    wganlib.train_gan(g, c, eight, steps=3, n_critic=1, batch_size=16, lr=1e-2, lr_generator=0.0, progress=False)
    assert _changed(c0, c) and not _changed(g0, g)  # lr_generator=0.0 is not "use lr"
    g, c = small_pair()
    g0, c0 = [p.clone() for p in g.parameters()], [p.clone() for p in c.parameters()]
    wganlib.train_gan(g, c, eight, steps=3, n_critic=1, batch_size=16, lr=0.0, lr_generator=1e-2, progress=False)
    assert _changed(g0, g) and not _changed(c0, c)


def test_the_loss_table_drives_the_defaults():
    spec = LOSSES["wgan"]
    assert (spec.optimizer, spec.lr, spec.clip, spec.n_critic) == ("rmsprop", 5e-5, 0.01, 5)  # Arjovsky et al.
    assert LOSSES["r1"].penalty_scale == 0.5 and LOSSES["wgan-gp"].penalty_weight == 10.0
    g, c = small_pair()
    with torch.no_grad():
        for p in c.parameters():
            p.mul_(100)
    # critic_step with loss="wgan" clips at the table's 0.01, as train_gan does
    wganlib.critic_step(g, c, eight(32), torch.optim.RMSprop(c.parameters(), lr=1e-3), loss="wgan")
    assert max(p.abs().max().item() for p in c.parameters()) <= 0.01
    # train_gan(loss="wgan") uses RMSProp: a betas= (Adam's) is refused with a reason
    with pytest.raises(ValueError, match="betas are Adam's"):
        wganlib.train_gan(g, c, eight, steps=1, loss="wgan", betas=(0.5, 0.9), progress=False)
    for loss in ("hinge", "gan", "wgan-gp"):
        with pytest.raises(ValueError, match="only loss='wgan' clips"):
            wganlib.train_gan(g, c, eight, steps=1, loss=loss, clip=0.01, progress=False)
        with pytest.raises(ValueError, match="only loss='wgan' clips"):
            wganlib.critic_step(g, c, eight(8), torch.optim.SGD(c.parameters(), lr=0.0), loss=loss, clip=0.01)
    with pytest.raises(ValueError, match="which has no penalty"):
        wganlib.train_gan(g, c, eight, steps=1, loss="hinge", penalty_weight=1.0, progress=False)


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
    with pytest.raises(ValueError, match="unknown loss 'wasserstein'. Known losses: 'gan': minimax"):
        wganlib.train_gan(g, c, eight, steps=1, loss="wasserstein")
    g, bn = small_pair(norm="batch")
    with pytest.raises(ValueError, match="BatchNorm.*norm='layer'"):
        wganlib.train_gan(g, bn, eight, steps=1, loss="wgan-gp")
    with pytest.raises(ValueError, match="unknown optimizer 'adamw'"):
        wganlib.train_gan(g, c, eight, steps=1, optimizer="adamw", progress=False)
    with pytest.raises(ValueError, match=r"a penalised critic is not clipped\); drop clip="):
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
    stats = wganlib.critic_step(g, c, real, opt_c, loss="wgan-gp")  # latent_dim read from the generator
    assert set(stats) == {"critic_loss", "wasserstein", "penalty", "grad_norm"}
    before = [p.clone() for p in g.parameters()]
    loss = wganlib.generator_step(g, c, opt_g, loss="wgan-gp", batch_size=64)  # noise like g's weights
    assert math.isfinite(loss)
    assert any(not torch.equal(a, b) for a, b in zip(before, g.parameters(), strict=False))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_training_on_the_gpu():
    g, c = small_pair()
    h = wganlib.train_gan(g, c, eight, steps=3, device="cuda", seed=0, progress=False)
    assert next(g.parameters()).device.type == "cuda" and len(h) == 3


def test_train_gan_is_n_critic_critic_steps_then_one_generator_step():
    import copy

    g1, c1 = small_pair(seed=2)
    g2, c2 = copy.deepcopy(g1), copy.deepcopy(c1)
    h = wganlib.train_gan(g1, c1, eight, steps=3, n_critic=2, batch_size=32, seed=5, progress=False, preset="paper")
    # the same loop written out with the exported steps and the loss table's optimiser (Adam 1e-4, (0, 0.9))
    torch.manual_seed(5)
    opt_c = torch.optim.Adam(c2.parameters(), lr=1e-4, betas=(0.0, 0.9))
    opt_g = torch.optim.Adam(g2.parameters(), lr=1e-4, betas=(0.0, 0.9))
    losses = []
    for _ in range(3):
        for _ in range(2):
            real = eight(32)
            stats = wganlib.critic_step(g2, c2, real, opt_c)
        losses.append(wganlib.generator_step(g2, c2, opt_g, batch_size=32))
    assert h.generator_loss == losses and h.critic_loss[-1] == stats["critic_loss"]
    for a, b in zip([*g1.parameters(), *c1.parameters()], [*g2.parameters(), *c2.parameters()], strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("loss", list(LOSSES))
def test_generator_loss_follows_the_paper_of_each_loss(loss):
    g, c = small_pair(seed=4)
    opt = torch.optim.SGD(g.parameters(), lr=0.0)
    torch.manual_seed(3)
    got = wganlib.generator_step(g, c, opt, loss=loss, batch_size=64)
    torch.manual_seed(3)
    with torch.no_grad():
        s = c(g(torch.randn(64, 2))).reshape(-1)
    softplus = torch.nn.functional.softplus
    want = {
        "gan": -softplus(s).mean(),  # log(1 - D(G(z))), minimised: saturating
        "nsgan": softplus(-s).mean(),  # -log D(G(z))
        "r1": softplus(-s).mean(),
    }.get(loss, -s.mean())  # WGAN, WGAN-GP, WGAN-FD and hinge: -mean critic(fake)
    assert got == pytest.approx(want.item(), rel=1e-6)


def test_train_gan_moves_statistics_off_the_device_in_batches(monkeypatch):
    # a GPU waits at every .item(); the loop gathers its statistics and transfers them FLUSH_EVERY steps
    # at a time (issue 12): count the transfers of a 60-step run without a callback or progress bar
    import traceback

    from wganlib import train as T

    counts = {"item": 0, "tolist": 0}
    item, tolist = torch.Tensor.item, torch.Tensor.tolist

    def from_wganlib():  # calls made by wganlib itself (torch's Adam reads its CPU step counter too)
        return "/wganlib/" in traceback.extract_stack(limit=3)[0].filename

    def counting_item(self):
        counts["item"] += from_wganlib()
        return item(self)

    def counting_tolist(self):
        counts["tolist"] += from_wganlib()
        return tolist(self)

    g, c = small_pair()
    monkeypatch.setattr(torch.Tensor, "item", counting_item)
    monkeypatch.setattr(torch.Tensor, "tolist", counting_tolist)
    h = wganlib.train_gan(g, c, eight, steps=60, n_critic=2, batch_size=16, progress=False, seed=0)
    monkeypatch.undo()
    assert len(h) == 60 and h.step == list(range(60))
    assert counts["tolist"] <= 60 // T.FLUSH_EVERY + 1, counts
    assert counts["item"] == 0, counts  # not one per statistic and step (that was 60 + 4 x 120)
    assert all(math.isfinite(v) for v in h.critic_loss + h.generator_loss + h.wasserstein + h.penalty)


def test_batched_history_equals_the_step_by_step_one():
    # the same seed with and without a callback (which transfers every step) gives the same history
    g1, c1 = small_pair()
    g2, c2 = copy.deepcopy(g1), copy.deepcopy(c1)
    a = wganlib.train_gan(g1, c1, eight, steps=30, n_critic=2, batch_size=16, progress=False, seed=3)
    b = wganlib.train_gan(g2, c2, eight, steps=30, n_critic=2, batch_size=16, progress=False, seed=3,
                          callback=lambda step, h: None)  # fmt: skip
    for key in ("critic_loss", "generator_loss", "wasserstein", "penalty", "grad_norm"):
        assert getattr(a, key) == getattr(b, key), key


# --- tests from the mutmut run on train.py: each kills surviving mutants named in its comment ---


def test_history_plot_passes_its_options_on():
    # History.plot(**kwargs) forwards title= and smooth= to plot.training_curves
    import matplotlib.pyplot as plt

    h = History()
    for step in range(6):
        h.append(step=step, critic_loss=float(step), generator_loss=-float(step), wasserstein=1.0,
                 penalty=float("nan"), grad_norm=float("nan"), seconds=0.1 * step)  # fmt: skip
    fig = h.plot(title="my run", smooth=3)
    try:
        assert fig._suptitle is not None and fig._suptitle.get_text() == "my run"
        assert len(fig.axes[0].lines[0].get_xdata()) == 4  # a moving average of 3 over 6 steps
    finally:
        plt.close(fig)


def test_critic_step_errors_name_the_loss_and_what_was_given():
    g, c = small_pair()
    opt = torch.optim.SGD(c.parameters(), lr=0.0)
    with pytest.raises(ValueError, match=r"^clip=0.01 with loss='hinge': only loss='wgan' clips"):
        wganlib.critic_step(g, c, eight(8), opt, loss="hinge", clip=0.01)
    with pytest.raises(ValueError, match=r"^penalty_weight=1.0 with loss='hinge', which has no penalty"):
        wganlib.critic_step(g, c, eight(8), opt, loss="hinge", penalty_weight=1.0)
    with pytest.raises(TypeError, match=r"^real must be a torch.Tensor of samples, got ndarray$"):
        wganlib.critic_step(g, c, eight(8).numpy(), opt)


class _LinearFreeGenerator(torch.nn.Module):
    """z @ W with a (3, 2) weight: no nn.Linear, so latent_dim cannot be inferred and must be given."""

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(3, 2, generator=torch.Generator().manual_seed(0)))

    def forward(self, z):
        return z @ self.weight


def test_steps_use_the_latent_dim_they_are_given():
    g, (_, c) = _LinearFreeGenerator(), small_pair()
    with pytest.raises(ValueError, match="cannot infer latent_dim"):  # the case latent_dim= is for
        wganlib.generator_step(g, c, torch.optim.SGD(g.parameters(), lr=0.0), batch_size=8)
    stats = wganlib.critic_step(g, c, eight(8), torch.optim.SGD(c.parameters(), lr=0.0), latent_dim=3)
    assert math.isfinite(stats["critic_loss"])
    loss = wganlib.generator_step(g, c, torch.optim.SGD(g.parameters(), lr=0.0), batch_size=8, latent_dim=3)
    assert math.isfinite(loss)


def test_generator_step_names_a_bad_batch_size():
    g, c = small_pair()
    with pytest.raises(ValueError, match=r"^batch_size must be a positive int, got 0$"):
        wganlib.generator_step(g, c, torch.optim.SGD(g.parameters(), lr=0.0), batch_size=0)


def test_generator_step_draws_the_noise_like_the_like_tensor():
    class Recording(torch.nn.Module):  # float32 weights, any input dtype: records what it was given
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(2, 2)

        def forward(self, z):
            self.seen = z.dtype
            return self.lin(z.float())

    g, (_, c) = Recording(), small_pair()
    opt = torch.optim.SGD(g.parameters(), lr=0.0)
    wganlib.generator_step(g, c, opt, batch_size=4)
    assert g.seen == torch.float32  # like the generator's weights
    wganlib.generator_step(g, c, opt, batch_size=4, like=torch.zeros(1, dtype=torch.float64))
    assert g.seen == torch.float64  # like `like`, as documented


@pytest.mark.parametrize("batch_size", [1, 16])
def test_a_scalar_from_sample_real_is_zero_rows(batch_size):
    g, c = small_pair()
    cause = rf"^sample_real\({batch_size}\) returned 0 rows \(shape \(\)\)"
    with pytest.raises(ValueError, match=cause):
        wganlib.train_gan(g, c, lambda n: torch.tensor(0.5), steps=1, batch_size=batch_size, progress=False)


def test_one_dimensional_samples_count_one_row_per_value():
    # data of shape (n,): n samples of one number each, with networks that take and make (n,)
    torch.manual_seed(0)
    g = torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.Flatten(0))
    c = torch.nn.Sequential(torch.nn.Unflatten(0, (-1, 1)), torch.nn.Linear(1, 8), torch.nn.ReLU(),
                            torch.nn.Linear(8, 1))  # fmt: skip
    h = wganlib.train_gan(g, c, lambda n: torch.randn(n) + 3.0, steps=2, loss="nsgan", batch_size=16,
                          latent_dim=2, progress=False)  # fmt: skip
    assert len(h) == 2
    with pytest.raises(ValueError, match=r"^sample_real\(16\) returned 10 rows \(shape \(10,\)\)"):
        wganlib.train_gan(
            g, c, lambda n: torch.randn(10), steps=1, loss="nsgan", batch_size=16, progress=False
        )


def test_a_generator_loss_that_alone_diverges_stops_at_its_step():
    # lr 1e30: the first critic update makes the critic's weights huge, so the critic loss of step 0
    # (computed before that update) is finite but the generator loss of step 0 is nan
    g, c = small_pair()
    with pytest.raises(
        FloatingPointError, match=r"diverged at generator step 0: critic loss [0-9.]+, generator loss nan"
    ):
        wganlib.train_gan(g, c, eight, steps=1, n_critic=1, batch_size=16, lr=1e30, seed=0, progress=False)


def test_every_history_column_has_one_value_per_step():
    g, c = small_pair()
    h = wganlib.train_gan(g, c, eight, steps=3, n_critic=1, batch_size=8, seed=0, progress=False)
    assert {key: len(v) for key, v in h.as_dict().items()} == dict.fromkeys(h.as_dict(), 3)
    assert 0 <= h.seconds[0] <= h.seconds[1] <= h.seconds[2]


def test_progress_bar_is_shown_with_the_loss_and_only_when_asked(capsys):
    # progress=True shows a bar labelled with the loss even when stderr is not a terminal (a CI log)
    g, c = small_pair()
    wganlib.train_gan(g, c, eight, steps=2, n_critic=1, batch_size=8, loss="hinge", progress=True)
    assert "train hinge" in capsys.readouterr().err
    wganlib.train_gan(g, c, eight, steps=2, n_critic=1, batch_size=8, loss="hinge", progress=False)
    assert capsys.readouterr().err == ""


# --- tests that pin behaviour found by mutation testing -------------------------------------------


def _param():
    return [torch.nn.Parameter(torch.zeros(2))]


@pytest.mark.parametrize("name", ["adam", "rmsprop", "sgd"])
@pytest.mark.parametrize("lr", [float("inf"), True, -1, "0.1"])
def test_make_optimizer_refuses_a_bad_learning_rate_by_name(name, lr):
    betas = (0.0, 0.9) if name == "adam" else None
    message = "a learning rate must be a finite number >= 0, got " + re.escape(repr(lr)) + "$"
    with pytest.raises(ValueError, match=message):
        make_optimizer(name, _param(), lr, betas)


@pytest.mark.parametrize("name, cls", [("adam", torch.optim.Adam), ("rmsprop", torch.optim.RMSprop),
                                       ("sgd", torch.optim.SGD)])  # fmt: skip
def test_make_optimizer_builds_each_optimizer_with_its_learning_rate(name, cls):
    params = _param()
    opt = make_optimizer(name, params, 0.0123, None)
    assert type(opt) is cls and opt.param_groups[0]["lr"] == 0.0123
    assert opt.param_groups[0]["params"] == params
    if name == "adam":  # betas=None: the WGAN-GP default (0, 0.9)
        assert opt.param_groups[0]["betas"] == (0.0, 0.9)
    else:
        with pytest.raises(ValueError, match=rf"betas=\(0.5, 0.9\) with optimizer='{name}'"):
            make_optimizer(name, _param(), 0.01, (0.5, 0.9))


def test_noise_follows_the_generators_parameters_or_defaults_to_the_cpu():
    from wganlib.train import _noise

    z = _noise(4, 3, torch.nn.Identity())  # no parameters: the CPU and the default dtype
    assert z.shape == (4, 3) and z.device.type == "cpu" and z.dtype == torch.get_default_dtype()
    g, c = small_pair()
    g, c = g.double(), c.double()
    assert _noise(4, 2, g).dtype == torch.float64
    loss = wganlib.generator_step(g, c, torch.optim.SGD(g.parameters(), lr=0.0), batch_size=8)
    assert math.isfinite(loss)


def test_generator_step_leaves_the_critics_gradients_alone():
    g, c = small_pair()
    wganlib.generator_step(g, c, torch.optim.SGD(g.parameters(), lr=0.0), batch_size=8)
    assert all(p.grad is None for p in c.parameters())
    assert all(p.requires_grad for p in c.parameters())


def test_train_gan_defaults_to_batches_of_256():
    g, c = small_pair(hidden=4)
    sizes = []
    wganlib.train_gan(g, c, lambda n: sizes.append(n) or eight(n), steps=1, n_critic=1, progress=False)
    assert sizes == [256]


def test_train_gan_shows_progress_by_default(capsys):
    g, c = small_pair(hidden=4)
    wganlib.train_gan(g, c, eight, steps=1, n_critic=1, batch_size=8, loss="hinge")
    assert "train hinge" in capsys.readouterr().err


def test_train_gan_errors_name_the_setting_and_the_loss():
    g, c = small_pair(hidden=4)
    with pytest.raises(ValueError, match="^n_critic must be a positive int, got 0$"):
        wganlib.train_gan(g, c, eight, steps=1, n_critic=0, progress=False)
    with pytest.raises(ValueError, match="^batch_size must be a positive int, got 0$"):
        wganlib.train_gan(g, c, eight, steps=1, batch_size=0, progress=False)
    with pytest.raises(ValueError, match="^clip=0.5 with loss='hinge'"):
        wganlib.train_gan(g, c, eight, steps=1, loss="hinge", clip=0.5, progress=False)
    with pytest.raises(ValueError, match="^penalty_weight=1.0 with loss='hinge'"):
        wganlib.train_gan(g, c, eight, steps=1, loss="hinge", penalty_weight=1.0, progress=False)


def test_train_gan_accepts_batchnorm_in_a_critic_without_penalty():
    g, bn = small_pair(hidden=4, norm="batch")
    h = wganlib.train_gan(g, bn, eight, steps=1, n_critic=1, batch_size=8, loss="hinge", progress=False)
    assert len(h) == 1


def _record_betas(monkeypatch):
    seen = []
    real = wganlib.train.make_optimizer

    def spy(name, params, lr, betas=(0.0, 0.9)):
        opt = real(name, params, lr, betas)
        seen.append((name, opt.param_groups[0].get("betas")))
        return opt

    monkeypatch.setattr(wganlib.train, "make_optimizer", spy)
    return seen


def test_train_gan_gives_both_optimizers_the_losss_betas(monkeypatch):
    seen = _record_betas(monkeypatch)
    g, c = small_pair(hidden=4)
    wganlib.train_gan(g, c, eight, steps=1, n_critic=1, batch_size=8, loss="gan", progress=False)
    assert seen == [("adam", (0.5, 0.999))] * 2  # DCGAN's
    seen.clear()
    wganlib.train_gan(g, c, eight, steps=1, n_critic=1, batch_size=8, betas=(0.3, 0.8), progress=False)
    assert seen == [("adam", (0.3, 0.8))] * 2
    seen.clear()  # loss="wgan" has no betas (RMSProp): with Adam, the WGAN-GP default (0, 0.9)
    wganlib.train_gan(g, c, eight, steps=1, n_critic=1, batch_size=8, loss="wgan", optimizer="adam",
                      progress=False)  # fmt: skip
    assert seen == [("adam", (0.0, 0.9))] * 2


class _LaterInputGenerator(torch.nn.Module):
    """The first nn.Linear registered (4 -> 2) is not the input layer (3 -> 4)."""

    def __init__(self):
        super().__init__()
        self.out = torch.nn.Linear(4, 2)
        self.inp = torch.nn.Linear(3, 4)

    def forward(self, z):
        return self.out(torch.relu(self.inp(z)))


def test_train_gan_uses_the_latent_dim_it_is_given():
    _, c = small_pair(hidden=4)
    h = wganlib.train_gan(_LaterInputGenerator(), c, eight, steps=1, n_critic=1, batch_size=8, latent_dim=3,
                          progress=False)  # fmt: skip
    assert len(h) == 1


def test_train_gan_moves_both_models_to_the_device_given():
    g, c = small_pair(hidden=4)
    h = wganlib.train_gan(g, c, eight, steps=1, n_critic=1, batch_size=8, device="cpu", progress=False)
    assert len(h) == 1
    g, c = small_pair(hidden=4)
    with pytest.raises(Exception):  # noqa: B017 - the meta device has no values to report
        wganlib.train_gan(g, c, eight, steps=1, n_critic=1, batch_size=8, device="meta", progress=False)
    assert {p.device.type for m in (g, c) for p in m.parameters()} == {"meta"}


def test_sample_real_returning_a_list_is_named():
    g, c = small_pair(hidden=4)
    with pytest.raises(TypeError, match="^sample_real must return a torch.Tensor, got list$"):
        wganlib.train_gan(g, c, lambda n: [0.0] * n, steps=1, n_critic=1, batch_size=8, progress=False)


def test_history_seconds_count_from_the_start():
    g, c = small_pair(hidden=4)
    h = wganlib.train_gan(g, c, eight, steps=2, n_critic=1, batch_size=8, progress=False)
    assert 0 <= h.seconds[0] <= h.seconds[1] < 60


def test_callback_sees_the_whole_history_at_every_step():
    g, c = small_pair(hidden=4)
    seen = []

    def callback(step, history):
        assert isinstance(history, History)
        seen.append((step, len(history), history.step[-1]))

    wganlib.train_gan(g, c, eight, steps=3, n_critic=1, batch_size=8, progress=False, callback=callback)
    assert seen == [(0, 1, 0), (1, 2, 1), (2, 3, 2)]


@pytest.mark.parametrize("loss", [name for name, spec in LOSSES.items() if spec.penalty])
def test_default_penalty_weight_is_the_losss_own(loss):
    """Without penalty_weight= the loss table's weight is used (10 for wgan-gp, ...), not 0."""
    g, c = small_pair(seed=3)
    real = _batches(64)
    opt = torch.optim.SGD(c.parameters(), lr=0.0)
    torch.manual_seed(11)
    default = wganlib.critic_step(g, c, real, opt, loss=loss)
    torch.manual_seed(11)
    explicit = wganlib.critic_step(g, c, real, opt, loss=loss, penalty_weight=LOSSES[loss].penalty_weight)
    torch.manual_seed(11)
    zero = wganlib.critic_step(g, c, real, opt, loss=loss, penalty_weight=0.0)
    assert default["critic_loss"] == pytest.approx(explicit["critic_loss"], rel=1e-6)
    assert default["critic_loss"] != pytest.approx(zero["critic_loss"], rel=1e-3)


def test_clip_and_penalty_weight_refuse_bad_values_with_a_message():
    g, c = small_pair(seed=3)
    opt = torch.optim.SGD(c.parameters(), lr=0.0)
    for bad in (True, 0.0, -1.0, float("inf"), "0.01"):
        with pytest.raises(ValueError, match=r"^clip must be a positive number \(the paper's 0.01\), got"):
            wganlib.critic_step(g, c, _batches(8), opt, loss="wgan", clip=bad)
    for bad in (True, -1.0, float("nan")):
        with pytest.raises(ValueError, match="^penalty_weight must be a finite number >= 0, got"):
            wganlib.critic_step(g, c, _batches(8), opt, loss="wgan-gp", penalty_weight=bad)
    with pytest.raises(ValueError, match=r"this loss never clips\); drop clip="):
        wganlib.critic_step(g, c, _batches(8), opt, loss="hinge", clip=0.01)
    with pytest.raises(ValueError, match=r"a penalised critic is not clipped\); drop clip="):
        wganlib.critic_step(g, c, _batches(8), opt, loss="wgan-gp", clip=0.01)
    with pytest.raises(ValueError, match=r"or choose a penalised loss \('wgan-gp', 'wgan-fd', 'r1'\)$"):
        wganlib.critic_step(g, c, _batches(8), opt, loss="hinge", penalty_weight=1.0)


# PyTorch's meta device stands in for a GPU: a tensor on it has a shape and a dtype but no data, and
# mixing it with CPU tensors fails just as mixing CUDA and CPU tensors does. So these tests catch a
# tensor made on, or left on, the CPU by mistake (they would otherwise pass on a CPU-only machine).
def _meta_models():
    g, c = small_pair(hidden=8)
    return g.to("meta"), c.to("meta")


def test_devices_come_from_the_models_and_inputs():
    from wganlib.train import _model_device, _noise

    g, _ = _meta_models()
    assert _model_device(g) == torch.device("meta")
    assert _model_device(torch.nn.ReLU()) == torch.device("cpu")  # no parameters: the CPU
    assert _noise(3, 2, g).device == torch.device("meta")
    like = torch.zeros(1, 2, device="meta", dtype=torch.float16)
    z = _noise(3, 2, like)
    assert (z.shape, z.device, z.dtype) == ((3, 2), torch.device("meta"), torch.float16)


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_steps_keep_every_tensor_on_the_models_device(loss):
    from wganlib.train import _critic_update, _generator_update, _spec

    g, c = _meta_models()
    spec = _spec(loss)
    real = torch.randn(8, 2, device="meta")
    opt_c, opt_g = torch.optim.Adam(c.parameters()), torch.optim.Adam(g.parameters())
    clip = 0.01 if spec.clip is not None else None
    stats = _critic_update(spec, g, c, real, opt_c, 1.0, clip, 2)  # nan placeholders too, for no penalty
    assert (stats.shape, stats.device) == ((4,), torch.device("meta"))
    g_loss = _generator_update(spec, g, c, opt_g, 8, 2, real)
    assert g_loss.device == torch.device("meta")
    g_loss = _generator_update(spec, g, c, opt_g, 8, 2, None)  # noise placed by the generator
    assert g_loss.device == torch.device("meta")


def test_train_gan_moves_real_batches_to_the_models_device():
    g, c = _meta_models()
    # sample_real returns CPU tensors; train_gan moves them. Every step runs on the meta device; only
    # reading the statistics back fails, as there are no numbers on it.
    with pytest.raises(NotImplementedError, match="meta tensor"):
        wganlib.train_gan(g, c, lambda n: torch.randn(n, 2), steps=1, progress=False)


def test_clip_and_penalty_weight_accept_good_values():
    from wganlib.train import _resolve_clip, _resolve_weight, _spec

    for good in (0.005, 0.5, 1, 2.0):  # any positive finite number, below or above 1
        assert _resolve_clip(_spec("wgan"), "wgan", good) == float(good)
    for good in (0, 0.5, 2, 10.0):
        assert _resolve_weight(_spec("wgan-gp"), "wgan-gp", good) == float(good)
    for bad in (float("inf"), "1", [1.0]):
        with pytest.raises(ValueError, match="^penalty_weight must be a finite number >= 0, got"):
            _resolve_weight(_spec("wgan-gp"), "wgan-gp", bad)


def test_error_messages_name_what_to_do():
    from wganlib.train import _latent_dim_of, _spec

    known = "; ".join(f"{k!r}: {v.description}" for k, v in LOSSES.items())
    with pytest.raises(ValueError) as info:
        _spec("wasserstein")
    assert str(info.value) == f"unknown loss 'wasserstein'. Known losses: {known}"
    with pytest.raises(ValueError) as info:
        _latent_dim_of(torch.nn.Sequential(torch.nn.ReLU()))
    assert str(info.value) == "cannot infer latent_dim from the generator (no nn.Linear found); pass latent_dim="


@pytest.mark.parametrize("name", ["adam", "rmsprop", "sgd"])
def test_make_optimizer_batches_cpu_updates_without_changing_them(name):
    """On the CPU make_optimizer asks for PyTorch's batched (foreach) update: faster, and the very same
    numbers as the per-tensor loop PyTorch would use by default."""
    torch.manual_seed(0)
    models_ = [models.mlp_critic(2, hidden=16, depth=2) for _ in range(2)]
    models_[1].load_state_dict(models_[0].state_dict())
    betas = (0.5, 0.9) if name == "adam" else None
    opts = [make_optimizer(name, m.parameters(), lr=1e-2, betas=betas) for m in models_]
    assert opts[0].param_groups[0]["foreach"] is True
    opts[1].param_groups[0]["foreach"] = False  # the loop over tensors
    x = torch.randn(32, 2, generator=torch.Generator().manual_seed(1))
    for _ in range(5):
        for m, opt in zip(models_, opts, strict=True):
            opt.zero_grad()
            m(x).pow(2).mean().backward()
            opt.step()
    for a, b in zip(models_[0].parameters(), models_[1].parameters(), strict=True):
        assert torch.equal(a, b)
    elsewhere = make_optimizer(name, [torch.zeros(1, device="meta")], lr=1.0, betas=betas)
    assert elsewhere.defaults["foreach"] is None  # off the CPU: PyTorch's own choice


def _sampler(seed=3):
    gen = torch.Generator().manual_seed(seed)
    return lambda n: data.sample("8gaussians", n, generator=gen)


def test_ema_average_follows_the_generator_weights_step_by_step():
    g, c = small_pair()
    seen = []

    def record(step, history):
        seen.append([p.detach().clone() for p in g.parameters()])

    h = wganlib.train_gan(g, c, _sampler(), steps=6, n_critic=1, batch_size=32, lr=1e-2, seed=0,
                          progress=False, callback=record, ema=0.5)  # fmt: skip
    assert isinstance(h.average, type(g)) and h.average is not g
    assert not any(p.requires_grad for p in h.average.parameters())
    torch.manual_seed(0)
    expected = [p.detach().clone() for p in small_pair()[0].parameters()]  # the initial weights
    for t, weights in enumerate(seen):
        beta = min(0.5, (t + 1) / (t + 10))
        expected = [beta * e + (1 - beta) * w for e, w in zip(expected, weights, strict=True)]
    for a, e in zip(h.average.parameters(), expected, strict=True):
        assert torch.allclose(a, e, atol=1e-6)
    # the average moved away from the last generator (it remembers earlier weights)
    assert any(not torch.equal(a, p) for a, p in zip(h.average.parameters(), g.parameters(), strict=True))
    assert "average" not in h.as_dict()


def test_ema_of_a_frozen_generator_is_the_generator_and_without_ema_there_is_no_average():
    g, c = small_pair()
    h = wganlib.train_gan(g, c, _sampler(), steps=3, n_critic=1, batch_size=16, lr=1e-2, lr_generator=0.0,
                          seed=0, progress=False, ema=0.9)  # fmt: skip
    assert all(torch.equal(a, p) for a, p in zip(h.average.parameters(), g.parameters(), strict=True))
    assert wganlib.train_gan(g, c, _sampler(), steps=1, batch_size=16, progress=False).average is None


def test_ema_does_not_change_training():
    runs = []
    for ema in (None, 0.99):
        g, c = small_pair()
        h = wganlib.train_gan(g, c, _sampler(), steps=4, n_critic=2, batch_size=16, seed=1, progress=False, ema=ema)
        runs.append((h.critic_loss, [p.detach().clone() for p in g.parameters()]))
    assert runs[0][0] == runs[1][0]
    assert all(torch.equal(a, b) for a, b in zip(runs[0][1], runs[1][1], strict=True))


def test_linear_lr_decay_lowers_both_rates_to_zero(monkeypatch):
    made = []
    real_make = wganlib.train.make_optimizer

    def spy(*args, **kwargs):
        made.append(real_make(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(wganlib.train, "make_optimizer", spy)
    g, c = small_pair()
    rates = []
    wganlib.train_gan(g, c, _sampler(), steps=4, n_critic=1, batch_size=16, lr=1e-2, lr_generator=4e-3,
                      seed=0, progress=False, lr_decay="linear",
                      callback=lambda step, h: rates.append([o.param_groups[0]["lr"] for o in made]))  # fmt: skip
    assert len(rates) == 4
    for got, f in zip(rates, (1.0, 0.75, 0.5, 0.25), strict=True):
        assert got == pytest.approx([1e-2 * f, 4e-3 * f])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(ema=1.0), "ema must be a number strictly between 0 and 1"),
        (dict(ema=0), "ema must be a number strictly between 0 and 1"),
        (dict(ema=True), "ema must be"),
        (dict(ema="0.9"), "ema must be"),
        (dict(lr_decay="cosine"), "lr_decay must be 'constant', 'linear' or None"),
    ],
)
def test_ema_and_lr_decay_refuse_bad_values(kwargs, message):
    g, c = small_pair()
    with pytest.raises(ValueError, match=message):
        wganlib.train_gan(g, c, _sampler(), steps=1, batch_size=8, progress=False, **kwargs)
