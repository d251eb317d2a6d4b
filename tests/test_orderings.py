"""Epoch orders: permutations where promised, and the curriculum invariants of Bengio et al."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gdlib
from gdlib.problems import data, models
from gdlib.train import orderings, training


def is_permutation(row, n):
    return sorted(np.asarray(row).tolist()) == list(range(n))


def test_shuffled_is_a_fresh_permutation_every_epoch():
    orders = orderings.shuffled(jax.random.key(0), 4, 50)
    assert orders.shape == (4, 50)
    assert all(is_permutation(row, 50) for row in orders)
    assert len({tuple(np.asarray(row).tolist()) for row in orders}) == 4
    np.testing.assert_array_equal(orders, training.shuffled_orders(jax.random.key(0), 4, 50))


def test_fixed_repeats_one_random_permutation():
    orders = orderings.fixed(jax.random.key(1), 3, 40)
    assert is_permutation(orders[0], 40) and not np.array_equal(orders[0], np.arange(40))
    assert np.all(orders == orders[0])


def test_sorted_by_sorts_every_epoch_stably():
    labels = jnp.array([3, 1, 3, 0, 1, 0, 2])
    orders = orderings.sorted_by(labels, 2)
    assert orders.tolist() == [[3, 5, 1, 4, 6, 0, 2]] * 2
    assert orderings.sorted_by(labels, 1, descending=True)[0].tolist() == [0, 2, 6, 1, 4, 3, 5]
    with pytest.raises(ValueError, match="1-D"):
        orderings.sorted_by(jnp.zeros((3, 2)), 1)


def test_pacing_and_admissible_sizes():
    pace = orderings.linear_pacing(0.1, 3)
    np.testing.assert_allclose([pace(e) for e in range(5)], [0.1, 0.4, 0.7, 1.0, 1.0])
    assert orderings.admissible_sizes(pace, 5, 20).tolist() == [2, 8, 14, 20, 20]
    with pytest.raises(ValueError, match="start must be in"):
        orderings.linear_pacing(0.0, 3)
    with pytest.raises(ValueError, match="never decrease"):
        orderings.admissible_sizes(lambda e: [0.5, 0.8, 0.6][e], 3, 10)
    with pytest.raises(ValueError, match=r"pacing\(1\) must be in \(0.0, 1.0\]"):
        orderings.admissible_sizes(lambda e: [0.5, 1.2][e], 2, 10)


def test_curriculum_draws_exactly_the_easiest_examples_and_only_adds():
    n, num_epochs = 103, 6
    difficulty = jax.random.uniform(jax.random.key(2), (n,))
    pace = orderings.linear_pacing(0.1, 4)
    orders = np.asarray(orderings.curriculum(jax.random.key(3), difficulty, num_epochs, pace))
    sizes = orderings.admissible_sizes(pace, num_epochs, n)
    by_difficulty = np.argsort(np.asarray(difficulty))
    previous = set()
    for row, size in zip(orders, sizes, strict=True):
        assert row.shape == (n,)
        admitted = set(row.tolist())
        assert admitted == set(by_difficulty[:size].tolist())  # W_λ: the k easiest, all of them
        assert previous <= admitted  # monotone: an example once admitted stays
        counts = np.bincount(row, minlength=n)[list(admitted)]
        assert counts.min() >= n // size and counts.max() <= -(-n // size)  # balanced
        previous = admitted
    assert sizes[-1] == n and is_permutation(orders[-1], n)


def test_full_pacing_is_plain_shuffling():
    """λ = 1 throughout: every epoch a permutation, different epochs, each position uniform."""
    n, num_epochs = 10, 4000
    orders = np.asarray(orderings.curriculum(jax.random.key(4), jnp.arange(n), num_epochs,
                                             lambda e: 1.0))
    assert all(is_permutation(row, n) for row in orders[:50])
    first = np.bincount(orders[:, 0], minlength=n) / num_epochs
    np.testing.assert_allclose(first, 1 / n, atol=4 * np.sqrt(0.1 * 0.9 / num_epochs))


def test_curriculum_orders_train_and_example_losses_are_per_example():
    d = data.digits()
    n = d.x_train.shape[0]

    def loss(p, x, y):
        return models.softmax_cross_entropy(models.linear(p, x), y)

    sgd = gdlib.sgd(0.1)
    params = models.init_linear(jax.random.key(0), 64, 10)
    params = training.train(sgd, loss, params, d, orders=orderings.fixed(jax.random.key(1), 1, n),
                            batch_size=64).params
    difficulty = orderings.example_losses(loss, params, d.x_train, d.y_train)
    by_hand = [float(loss(params, d.x_train[i:i + 1], d.y_train[i:i + 1])) for i in (0, 7, 99)]
    np.testing.assert_allclose(difficulty[np.array([0, 7, 99])], by_hand, rtol=1e-5)
    orders = orderings.curriculum(jax.random.key(5), difficulty, 1, orderings.linear_pacing(0.5, 2))
    history = training.train(sgd, loss, params, d, orders=orders, batch_size=64)
    assert history.update_losses.shape == (1, n // 64)
    # the first epoch sees only the easier half: its mini-batch losses are lower than the rest's
    assert float(history.update_losses[0].mean()) < float(jnp.mean(difficulty))


def test_difficulty_ranks_break_ties_by_index():
    assert orderings.difficulty_ranks(jnp.array([1.0, 0.0, 1.0, 0.0])).tolist() == [2, 0, 3, 1]


def test_compare_equals_one_run_per_order_and_seed():
    d = data.diabetes()
    n = d.x_train.shape[0]

    def loss(p, x, y):
        return models.mean_squared_error(models.linear(p, x), y)

    def init(key):
        return {"w": 0.1 * jax.random.normal(key, (10,)), "b": jnp.zeros(())}

    keys = jax.random.split(jax.random.key(0), 2)
    orders = {"sorted": jnp.stack([orderings.sorted_by(d.y_train, 2)] * 2),
              "shuffled": jax.vmap(lambda k: orderings.shuffled(k, 2, n))(keys)}
    sgd = gdlib.sgd(0.02)  # one optimizer object: the single runs share one compilation
    runs = orderings.compare(sgd, loss, init, d, keys, orders, batch_size=8)
    assert list(runs) == ["sorted", "shuffled"]
    for name, order in orders.items():
        for seed in range(2):
            single = training.train(sgd, loss, init(keys[seed]), d, orders=order[seed],
                                    batch_size=8)
            np.testing.assert_allclose(runs[name].val_losses[seed], single.val_losses,
                                       rtol=1e-5)
    with pytest.raises(ValueError, match="num_seeds=2"):
        orderings.compare(gdlib.sgd(0.02), loss, init, d, keys, {"one": orders["sorted"][0]})


def test_epoch_entropy_is_log_of_the_admitted_count_and_grows_along_a_curriculum():
    difficulty = jnp.asarray(np.random.default_rng(0).permutation(120).astype(np.float32))
    pacing = orderings.linear_pacing(0.25, 3)
    orders = orderings.curriculum(jax.random.key(1), difficulty, 5, pacing)
    sizes = orderings.admissible_sizes(pacing, 5, 120)  # [30, 60, 90, 120, 120]
    entropy = orderings.epoch_entropy(orders)
    # every admitted example fills q = n // k or q + 1 slots (r = n % k of them q + 1)
    q, r = 120 // sizes, 120 % sizes
    exact = -(r * (q + 1) / 120 * np.log((q + 1) / 120) + (sizes - r) * q / 120 * np.log(q / 120))
    np.testing.assert_allclose(entropy, exact, rtol=1e-12)
    assert np.all(entropy <= np.log(sizes) + 1e-12) and np.all(entropy > np.log(sizes) - 0.07)
    assert np.all(np.diff(entropy[:4]) > 0.2) and entropy[4] == pytest.approx(np.log(120))
    # a shuffled epoch is uniform over all examples; one repeated example has entropy 0
    shuffled = orderings.shuffled(jax.random.key(2), 2, 120)
    np.testing.assert_allclose(orderings.epoch_entropy(shuffled), np.log(120), rtol=1e-12)
    assert orderings.epoch_entropy(np.zeros((1, 5), int)).tolist() == [0.0]
    # a 90/10 split of 10 slots between two of five examples
    two = np.array([[0] * 9 + [1]])
    expected = -(0.9 * np.log(0.9) + 0.1 * np.log(0.1))
    np.testing.assert_allclose(orderings.epoch_entropy(two, num_examples=5), expected)
    with pytest.raises(ValueError, match="orders must be"):
        orderings.epoch_entropy(np.zeros(4, int))
