"""The Adam-RMSprop family: its two corners are gdlib.adam and gdlib.rmsprop, and each switch
changes exactly what its name says."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gdlib
from gdlib.optim import ablation
from gdlib.train.runner import run


def loss(theta):
    return jnp.sum(jnp.array([1.0, 30.0]) * theta**2) + jnp.sum(theta**4)


START = jnp.array([1.5, -0.7])


@pytest.mark.parametrize("rate", [0.01, 0.1])
def test_the_corners_are_adam_and_rmsprop(rate):
    with _x64():
        start = START.astype(jnp.float64)
        rmsprop_corner = ablation.adam_rmsprop(rate, **ablation.RMSPROP)
        for ours, theirs in [(ablation.adam_rmsprop(rate), gdlib.adam(rate)),
                             (rmsprop_corner, gdlib.rmsprop(rate))]:
            a = run(ours, loss, start, 100).params
            b = run(theirs, loss, start, 100).params
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


class _x64:
    def __enter__(self):
        self.old = jax.config.jax_enable_x64
        jax.config.update("jax_enable_x64", True)

    def __exit__(self, *exc):
        jax.config.update("jax_enable_x64", self.old)


def first_update(**settings):
    opt = ablation.adam_rmsprop(0.1, eps=0.0, **settings)
    updates, _ = opt.update(jnp.array([4.0]), opt.init(jnp.zeros(1)))
    return float(updates[0])


def test_bias_correction_sets_the_first_step_to_eta():
    assert first_update() == pytest.approx(-0.1, rel=1e-5)
    assert first_update(bias_correction=False) == pytest.approx(
        -0.1 * ablation.first_step_factor(0.9, 0.999, False), rel=1e-5)
    assert first_update(b2=0.9, bias_correction=False) == pytest.approx(
        -0.1 * 0.1 / 0.1**0.5, rel=1e-5)
    assert first_update(b1=0.0, bias_correction=False) == pytest.approx(-0.1 / 0.001**0.5, rel=1e-5)


def test_eps_inside_the_root_acts_on_the_square():
    def step(eps_inside):
        opt = ablation.adam_rmsprop(1.0, b1=0.0, eps=1e-4, eps_inside=eps_inside)
        updates, _ = opt.update(jnp.array([1e-2]), opt.init(jnp.zeros(1)))
        return float(updates[0])

    assert step(False) == pytest.approx(-1e-2 / (1e-2 + 1e-4), rel=1e-5)
    assert step(True) == pytest.approx(-1e-2 / (1e-4 + 1e-4) ** 0.5, rel=1e-5)


def test_each_variant_changes_one_setting():
    variants = ablation.one_change_at_a_time()
    assert list(variants)[0] == "Adam" and list(variants)[5] == "RMSprop"
    for name, factory in variants.items():
        settings = factory.keywords
        base = ablation.ADAM if name.startswith("Adam") else ablation.RMSPROP
        changed = [k for k in base if settings[k] != base[k]]
        assert len(changed) == (0 if name in ("Adam", "RMSprop") else 1), name


def test_hyperparameters_are_checked():
    with pytest.raises(ValueError, match="b2"):
        ablation.adam_rmsprop(0.1, b2=1.0)


def test_the_switches_take_one_and_zero_as_well_as_booleans():
    for correct in (True, False):
        for inside in (True, False):
            a = run(ablation.adam_rmsprop(0.05, bias_correction=correct, eps_inside=inside),
                    loss, START, 50).params
            b = run(ablation.adam_rmsprop(0.05, bias_correction=float(correct),
                                          eps_inside=int(inside)), loss, START, 50).params
            np.testing.assert_array_equal(a, b)


def test_a_sweep_over_the_settings_gives_each_variant():
    settings = ablation.settings()
    assert {name: f.keywords for name, f in ablation.one_change_at_a_time().items()} == settings
    columns = {key: np.array([float(s[key]) for s in settings.values()])
               for key in ablation.ADAM}
    with _x64():  # float64, so that the traced and the constant β2 round alike
        start = START.astype(jnp.float64)
        swept = gdlib.sweep(ablation.adam_rmsprop, loss, start, 50, learning_rate=0.05,
                            eps=1e-3, **columns).params
        for i, factory in enumerate(ablation.one_change_at_a_time().values()):
            alone = run(factory(learning_rate=0.05, eps=1e-3), loss, start, 50).params
            np.testing.assert_allclose(swept[i], alone, rtol=1e-10, atol=1e-12)
    assert not np.allclose(swept[0], swept[5])  # Adam and RMSprop do differ


@pytest.mark.parametrize("name, value", [("bias_correction", 0.5), ("eps_inside", 2),
                                         ("eps_inside", "yes")])
def test_a_switch_is_on_or_off(name, value):
    with pytest.raises(ValueError, match=name):
        ablation.adam_rmsprop(0.1, **{name: value})


def test_switches_name_the_variants_of_settings_and_their_effects_are_both_ends():
    names = set(ablation.settings())
    assert set(ablation.SWITCHES) == {"bias correction", "β2", "momentum", "ε placement"}
    assert all(a in names and r in names for a, r in ablation.SWITCHES.values())
    losses = {name: 1.0 for name in names}
    losses["Adam, no bias correction"], losses["RMSprop, decay 0.999"] = 1.25, 0.5
    effects = ablation.switch_effects(losses)
    assert effects["bias correction"] == (0.25, 0.0) and effects["β2"] == (0.0, 0.5)
    assert effects["momentum"] == effects["ε placement"] == (0.0, 0.0)
