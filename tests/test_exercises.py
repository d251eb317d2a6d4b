"""The exercise checker accepts right answers and explains wrong ones."""

import jax
import jax.numpy as jnp
import pytest

import gdlib
from gdlib.optim import schedules
from gdlib.teach.exercises import check, check_function, check_schedule


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
    (lambda g, s, p=None: None, "update returned None"),
    (lambda g, s, p=None: 1.0, "update raised TypeError"),
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

    assert "update returned None: replace every ... with your code, and return the pair " \
        "(updates, new_state)" in check(template, gdlib.sgd, learning_rate=0.1).message


def test_a_template_with_ellipsis_updates_is_reported():
    def template(learning_rate):
        return gdlib.GradientTransformation(lambda params: None,
                                            lambda grads, state, params=None: (..., state))

    verdict = check(template, gdlib.sgd, learning_rate=0.1)
    assert "your updates are Ellipsis: replace every ... with your code" in verdict.message


# check_function: any function, compared on given inputs


def elastic_pull(worker, center, alpha):
    return worker - alpha * (worker - center)


def test_check_function_passes_a_right_answer_on_arrays_and_pytrees():
    x = jnp.arange(3.0)
    inputs = [(x, jnp.zeros(3), 0.5), {"worker": x, "center": x + 1, "alpha": 0.1}]
    assert check_function(lambda worker, center, alpha: worker + alpha * (center - worker),
                          elastic_pull, inputs).passed

    def both(a, b):
        return {"sum": a + b, "diff": a - b}

    assert check_function(lambda a, b: {"sum": b + a, "diff": a - b}, both, [(1.0, 2.0)]).passed


def test_check_function_names_the_input_and_the_element_that_differ():
    x = jnp.arange(3.0)
    verdict = check_function(lambda worker, center, alpha: worker - alpha * worker,
                             elastic_pull, [(x, x, 0.5), (x, jnp.zeros(3), 0.5)])
    # on the first input centre == worker, so the pull is 0 and the wrong answer differs at [1]
    assert not verdict.passed
    assert verdict.message == ("Not yet: for input 1 (an array of shape (3,), an array of "
                               "shape (3,), 0.5), [1] is 0.5 in yours but 1 from elastic_pull.")


@pytest.mark.parametrize("candidate,expected", [
    (lambda worker, center, alpha: 1 / 0, "your code raised ZeroDivisionError"),
    (lambda worker, center, alpha: None, "did you forget to return?"),
    (lambda worker, center, alpha: ..., "replace every ... with your code"),
    (lambda worker, center, alpha: (worker, center), "does not have the structure"),
    (lambda worker, center, alpha: jnp.zeros(2), "has shape (2,) in yours, (3,) expected"),
])
def test_check_function_reports_broken_code(candidate, expected):
    verdict = check_function(candidate, elastic_pull, [(jnp.ones(3), jnp.zeros(3), 0.5)])
    assert not verdict.passed and expected in verdict.message


# check_schedule: a learning-rate schedule, count by count


def test_check_schedule_passes_python_and_jax_schedules():
    def python_decay(init_value, decay_rate):
        return lambda count: init_value / (1 + decay_rate * count)

    assert check_schedule(python_decay, schedules.time_based, init_value=0.1,
                          decay_rate=0.05).passed
    assert check_schedule(schedules.exponential, schedules.exponential, init_value=0.1,
                          decay_rate=0.05).passed


def test_check_schedule_finds_the_first_count_that_differs():
    def drops_late(init_value, drop, every):
        return lambda count: init_value * drop ** (count // (every + 1))

    verdict = check_schedule(drops_late, schedules.step_decay, init_value=1.0, drop=0.5, every=4)
    assert verdict.message == ("Not yet: at count 4 your rate is 1 but "
                               "gdlib.optim.schedules.step_decay gives 0.5.")


@pytest.mark.parametrize("candidate,expected", [
    (lambda init_value, decay_rate: 0.1, "must return a function count -> learning rate"),
    (lambda init_value, decay_rate: lambda count: [1, 2], "It must return one number"),
    (lambda init_value, decay_rate: 1 / 0, "building your schedule raised ZeroDivisionError"),
    (lambda init_value, decay_rate: lambda count: None, "at count 0 your schedule returned None"),
    (lambda init_value, decay_rate: lambda count: "0.1", "at count 1 your rate is 0.1 but"),
])
def test_check_schedule_reports_broken_code(candidate, expected):
    verdict = check_schedule(candidate, schedules.exponential, init_value=0.1, decay_rate=0.1)
    assert not verdict.passed and expected in verdict.message


def test_check_function_describes_inputs_that_are_not_numbers():
    def apply(fn, params):
        return fn(params["w"])

    verdict = check_function(lambda fn, params: params["w"], apply,
                             [(jnp.sin, {"w": jnp.ones(2)})])
    assert verdict.message.startswith("Not yet: for input 1 (the function sin, a dict), ")


def test_check_schedule_names_a_reference_outside_gdlib_schedules():
    def my_decay(init_value):
        return lambda count: init_value

    verdict = check_schedule(my_decay, lambda init_value: lambda count: init_value / 2,
                             init_value=1.0)
    assert verdict.message == "Not yet: at count 0 your rate is 1 but <lambda> gives 0.5."


def test_nan_where_the_reference_has_nan_counts_as_equal():
    def losses(x):
        return jnp.where(x > 1, jnp.nan, x)

    assert check_function(lambda x: jnp.where(x > 1, jnp.nan, x), losses,
                          [jnp.array([0.5, 2.0])]).passed
    assert not check_function(lambda x: x, losses, [jnp.array([0.5, 2.0])]).passed


# Found by mutation testing (tests/mutation), or written for what it would find: the whole of
# each message, and the branches the tests above did not reach.
def test_the_passing_messages_say_what_was_checked():
    assert check(my_momentum, gdlib.momentum, learning_rate=0.1, momentum=0.9).message == (
        "Passed: your my_momentum gives the same updates as gdlib.momentum on 3 random "
        "problems, 20 steps each.")
    assert check(my_momentum, gdlib.momentum, num_problems=2, num_steps=5, learning_rate=0.1,
                 momentum=0.9).message.endswith("on 2 random problems, 5 steps each.")
    assert check_schedule(schedules.exponential, schedules.exponential, init_value=0.1,
                          decay_rate=0.05).message == (
        "Passed: your exponential gives the same rate as gdlib.optim.schedules.exponential at "
        "counts 0 to 99.")
    assert check_schedule(schedules.exponential, schedules.exponential, num_counts=7,
                          init_value=0.1, decay_rate=0.05).message.endswith("counts 0 to 6.")
    assert check_function(lambda x: x, lambda x: x, [1.0, 2.0]).message == (
        "Passed: your <lambda> agrees with <lambda> on all 2 inputs.")


def test_an_optimizer_that_cannot_be_built_or_initialized_is_reported():
    def cannot_build(learning_rate):
        raise RuntimeError("not yet")

    verdict = check(cannot_build, gdlib.sgd, learning_rate=0.1)
    assert verdict.message == "Not yet: building your optimizer raised RuntimeError: not yet"

    def cannot_init(learning_rate):
        return gdlib.GradientTransformation(lambda params: 1 / 0, lambda g, s, p=None: (g, s))

    assert check(cannot_init, gdlib.sgd, learning_rate=0.1).message == (
        "Not yet: init(params) raised ZeroDivisionError: division by zero")


def test_an_update_that_cannot_be_traced_runs_as_written():
    def python_sgd(learning_rate):
        def update(grads, state, params=None):
            if float(grads["b"]) != float(grads["b"]):  # Python control flow on a value
                raise ValueError("NaN")
            return jax.tree.map(lambda g: -learning_rate * g, grads), state

        return gdlib.GradientTransformation(lambda params: (), update)

    verdict = check(python_sgd, gdlib.sgd, learning_rate=0.1)
    assert verdict.passed, verdict.message


def test_an_update_that_returns_ellipsis_or_a_partly_finished_tree_is_reported():
    def returns_ellipsis(learning_rate):
        return gdlib.GradientTransformation(lambda params: None, lambda g, s, p=None: ...)

    assert "update returned Ellipsis: replace every ... with your code" in check(
        returns_ellipsis, gdlib.sgd, learning_rate=0.1).message

    def half_done(learning_rate):
        return gdlib.GradientTransformation(
            lambda params: None, lambda g, s, p=None: ({"b": ..., "w": -learning_rate * g["w"]},
                                                      s))

    assert "replace every ... with your code" in check(half_done, gdlib.sgd,
                                                        learning_rate=0.1).message


def test_a_scalar_or_matrix_result_is_named_by_its_position():
    assert check_function(lambda x: x + 1, lambda x: x, [1.0]).message == (
        "Not yet: for input 1 (1), the result is 2 in yours but 1 from <lambda>.")
    verdict = check_function(lambda x: x.at[1, 0].add(1.0), lambda x: x, [jnp.zeros((2, 2))])
    assert verdict.message == ("Not yet: for input 1 (an array of shape (2, 2)), [1, 0] is 1 "
                               "in yours but 0 from <lambda>.")


def test_tolerances_are_relative_and_absolute_as_documented():
    def off_by(amount):
        return lambda x: x + amount

    assert check_function(off_by(1e-9), lambda x: x, [0.0]).passed  # within atol = 1e-7
    assert not check_function(off_by(1e-6), lambda x: x, [0.0]).passed
    assert check_function(off_by(1e-3), lambda x: x, [1000.0]).passed  # within rtol = 1e-5
    assert not check_function(off_by(1e-1), lambda x: x, [1000.0]).passed


def test_a_reference_with_nothing_to_compare_passes_on_any_structure_alike():
    assert check_function(lambda x: {}, lambda x: {}, [1.0]).passed


# Found by mutation testing (tests/mutation): the checker's problems, its loop bounds, its
# tolerances, its verdicts and its keyword-only options.

def test_the_problems_are_the_documented_quadratic():
    """J = 1/2 theta^T A theta + c^T theta, A = Q Q^T / 4 + I / 2, theta = (b, w), from the key."""
    import numpy as np

    from gdlib.teach.exercises import _gradient, _problem

    key = jax.random.key(2)
    params, (a, c) = _problem(key)
    key_a, key_c, key_start = jax.random.split(key, 3)
    q = jax.random.normal(key_a, (4, 4))
    start = jax.random.normal(key_start, (4,))
    np.testing.assert_allclose(a, q @ q.T / 4 + 0.5 * jnp.eye(4), rtol=1e-6)
    np.testing.assert_array_equal(c, jax.random.normal(key_c, (4,)))
    np.testing.assert_array_equal(params["b"], start[0])
    np.testing.assert_array_equal(params["w"], start[1:])
    assert np.linalg.eigvalsh(np.asarray(a)).min() >= 0.5 - 1e-5  # convex, as promised
    theta = jnp.concatenate([params["b"][None], params["w"]])
    gradient = _gradient(params, (a, c))
    expected = a @ theta + c  # the gradient of the quadratic (A is symmetric)
    np.testing.assert_allclose(gradient["b"], expected[0], rtol=1e-5)
    np.testing.assert_allclose(gradient["w"], expected[1:], rtol=1e-5)


def wrong_once(bad_problem, bad_step):
    """SGD (rate 0.1) that adds 1 to its update at one step of one problem, and only there."""
    problems = []

    def init(params):
        problems.append(len(problems) + 1)
        return jnp.array(problems[-1]), jnp.array(0)

    def update(grads, state, params=None):
        problem, step = state[0], state[1] + 1
        slip = jnp.where((problem == bad_problem) & (step == bad_step), 1.0, 0.0)
        return jax.tree.map(lambda g: -0.1 * g + slip, grads), (problem, step)

    return gdlib.GradientTransformation(init, update)


def test_every_step_of_every_problem_is_checked_and_no_more():
    verdict = check(lambda: wrong_once(3, 20), lambda: gdlib.sgd(0.1))
    assert not verdict.passed and "at step 20 of problem 3" in verdict.message
    assert check(lambda: wrong_once(4, 1), lambda: gdlib.sgd(0.1)).passed
    assert check(lambda: wrong_once(1, 21), lambda: gdlib.sgd(0.1)).passed
    verdict = check(lambda: wrong_once(2, 5), lambda: gdlib.sgd(0.1), num_problems=2, num_steps=5)
    assert not verdict.passed and "at step 5 of problem 2" in verdict.message


def test_the_default_tolerance_forgives_rounding_and_catches_a_wrong_rate():
    assert check(lambda: gdlib.sgd(0.1 * (1 + 1e-6)), lambda: gdlib.sgd(0.1)).passed
    assert not check(lambda: gdlib.sgd(0.1 * (1 + 1e-3)), lambda: gdlib.sgd(0.1)).passed
    assert check_function(lambda x: x * (1 + 1e-6), lambda x: x, [1.0, 2.0]).passed
    assert not check_function(lambda x: x * (1 + 1e-3), lambda x: x, [1.0, 2.0]).passed


def test_a_failure_to_build_initialize_or_finish_is_a_failed_verdict():
    def raises(learning_rate):
        raise RuntimeError("no")

    def bad_init(learning_rate):
        return gdlib.GradientTransformation(lambda params: 1 / 0, gdlib.sgd(0.1).update)

    def unfinished(learning_rate):
        return gdlib.GradientTransformation(
            lambda params: (), lambda grads, state, params=None: ({"b": ..., "w": ...}, state))

    for candidate, words in [(raises, "building your optimizer raised"),
                             (bad_init, "init(params) raised"),
                             (unfinished, "replace every ...")]:
        verdict = check(candidate, gdlib.sgd, learning_rate=0.1)
        assert verdict.passed is False and words in verdict.message


def test_a_lone_array_of_the_wrong_shape_is_called_the_result():
    verdict = check_function(lambda x: jnp.zeros(3), lambda x: jnp.zeros(2), [1.0])
    assert not verdict.passed
    assert "the result has shape (3,) in yours, (2,) expected" in verdict.message


def test_an_input_with_an_empty_result_does_not_end_the_check():
    def reference(x):
        return () if x == 0 else x

    verdict = check_function(lambda x: () if x == 0 else 2 * x, reference, [0, 1.0])
    assert not verdict.passed and "for input 2" in verdict.message


def test_the_checkers_options_are_keyword_only():
    with pytest.raises(TypeError):
        check(gdlib.sgd, gdlib.sgd, 3, learning_rate=0.1)
    with pytest.raises(TypeError):
        check_function(lambda x: x, lambda x: x, [1.0], 1e-5)
    with pytest.raises(TypeError):
        check_schedule(schedules.constant, schedules.constant, 100, value=0.1)


def test_the_problems_gradient_is_compiled_once_for_every_check():
    from gdlib.teach.exercises import _gradient

    check(gdlib.sgd, gdlib.sgd, learning_rate=0.1)
    compiled = _gradient._cache_size()
    check(my_momentum, gdlib.momentum, learning_rate=0.1, momentum=0.9)
    assert _gradient._cache_size() == compiled
