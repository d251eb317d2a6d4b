"""The exercise checker accepts right answers and explains wrong ones."""

import jax
import jax.numpy as jnp
import pytest

import gdlib
from gdlib.exercises import check


def my_momentum(learning_rate, momentum):
    def init(params):
        return jax.tree.map(jnp.zeros_like, params)

    def update(grads, velocity, params=None):
        velocity = jax.tree.map(lambda v, g: momentum * v + learning_rate * g, velocity, grads)
        return jax.tree.map(lambda v: -v, velocity), velocity

    return gdlib.GradientTransformation(init, update)


def test_a_right_answer_passes():
    verdict = check(my_momentum, gdlib.momentum, learning_rate=0.1, momentum=0.9)
    assert verdict.passed and str(verdict).startswith("Passed: your my_momentum")


def test_a_wrong_answer_is_caught_with_the_step_and_parameter():
    def forgets_momentum(learning_rate, momentum):
        return my_momentum(learning_rate, 0.0)

    verdict = check(forgets_momentum, gdlib.momentum, learning_rate=0.1, momentum=0.9)
    assert not verdict.passed
    # step 1 agrees (v0 = 0); the velocity's memory first matters at step 2
    assert verdict.message.startswith("Not yet: at step 2 of problem 1, the update of b is")
    assert "in gdlib.momentum" in verdict.message


def test_a_wrong_sign_is_caught_at_the_first_step():
    def ascends(learning_rate):
        return gdlib.GradientTransformation(
            lambda p: None, lambda g, s, p=None: (jax.tree.map(lambda x: learning_rate * x, g), s))

    assert "at step 1 of problem 1" in check(ascends, gdlib.sgd, learning_rate=0.1).message


@pytest.mark.parametrize("update,expected", [
    (lambda g, s, p=None: None, "update raised TypeError"),
    (lambda g, s, p=None: (1.0, s), "must have the structure of the parameters"),
    (lambda g, s, p=None: (g["w"], s), "must have the structure of the parameters"),
])
def test_broken_code_gets_a_message_not_a_traceback(update, expected):
    def broken(learning_rate):
        return gdlib.GradientTransformation(lambda p: None, update)

    verdict = check(broken, gdlib.sgd, learning_rate=0.1)
    assert not verdict.passed and expected in verdict.message


def test_an_unfinished_template_is_reported():
    def template(learning_rate):
        def init(params):
            return ...

        def update(grads, state, params=None):
            ...

        return gdlib.GradientTransformation(init, update)

    assert "It must return a pair (updates, new_state)" in check(
        template, gdlib.sgd, learning_rate=0.1).message
