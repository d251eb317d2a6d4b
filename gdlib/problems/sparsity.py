r"""Sparse features: which parameters an update can move, and how often.

For a linear model :math:`f(x) = x^\top\theta` the gradient of an example's loss is
:math:`\ell'(f(x), y)\, x`: its :math:`j`-th component is zero whenever feature :math:`x_j` is.
An update on a batch therefore moves :math:`\theta_j` only if feature :math:`j` is non-zero in
some example of the batch, so on sparse data some parameters are updated far more often than
others, with the *same* learning rate.

* :data:`SLIDES_EXAMPLE`: the slides' six examples of eight features.
* :func:`update_counts`: for each feature, the updates of an epoch that can move its weight.
* :func:`update_labels`: "frequently", "moderately", "rarely", as the slides classify them.
* :func:`predicted_error`: how much of a weight's initial error survives its updates.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gdlib.optim.hyperparams import check_nonnegative, check_positive_int, check_range
from gdlib.problems.batches import num_batches

#: The slides' table (Adagrad section): rows are the training examples x1..x6, columns the
#: features whose weights are θ1..θ8. "θ7 and θ2 will update frequently, θ5, θ4, θ8
#: moderately and θ1, θ3, θ6 rarely."
SLIDES_EXAMPLE = np.array([
    [0, 4, 0, 0, -5, 0, -7, 0],
    [0, 0, 0, 0, 0, 0, 10, 1],
    [0, -5, 0, 7, 0, 0, 3, 0],
    [0, 6, 0, 0, 0, 0, -2, 0],
    [0, 1, 0, 0, 0, 0, 5, 0],
    [0, -8, 0, 0, 4, 0, 9, 0],
])
SLIDES_EXAMPLE.setflags(write=False)


def update_counts(x: Any, batch_size: int = 1, orders: Any = None) -> np.ndarray:
    """For each feature, the number of updates whose batch has it non-zero in some example.

    With a linear model these are the updates that can move the feature's weight (the others
    leave it exactly where it was).

    Args:
        x: the features, ``(n, d)``.
        batch_size: examples per update.
        orders: the order of the examples in each epoch, ``(num_epochs, n)``, as
            :func:`gdlib.train.training.shuffled_orders` gives them; default: one epoch in the
            stored order.

    Returns:
        An int array ``(d,)``, summed over the epochs.

    Example:
        >>> update_counts(SLIDES_EXAMPLE).tolist()  # batch size 1: one update per example
        [0, 5, 0, 1, 2, 0, 6, 1]
        >>> update_counts(SLIDES_EXAMPLE, batch_size=3).tolist()  # two batches of three
        [0, 2, 0, 1, 2, 0, 2, 1]
    """
    present = np.asarray(x) != 0
    n = present.shape[0]
    batch_size = check_positive_int("batch_size", batch_size)
    orders = np.arange(n)[None] if orders is None else np.asarray(orders).reshape(-1, n)
    count = num_batches(n, batch_size)
    rows = orders[:, : count * batch_size].reshape(-1, batch_size)  # as batches cuts them
    return present[rows].any(axis=1).sum(axis=0)


def update_labels(counts: Any, num_updates: int, frequent: float = 0.5) -> list[str]:
    """Classify parameters as the slides do, by the share of updates that move them.

    "frequently" for a share ``>= frequent``, "moderately" for any smaller non-zero share,
    "rarely" for none at all: on six examples, rarely means never; on a larger data set a
    rare feature does turn up, in a few examples.

    Example:
        >>> update_labels(update_counts(SLIDES_EXAMPLE), num_updates=6)[:4]
        ['rarely', 'frequently', 'rarely', 'moderately']
    """
    num_updates = check_positive_int("num_updates", num_updates)
    check_range("frequent", frequent, 0.0, 1.0, low_open=True)
    share = np.asarray(counts, dtype=float) / num_updates
    return ["frequently" if s >= frequent else "moderately" if s > 0 else "rarely"
            for s in share]


def predicted_error(counts: Any, learning_rate: float, curvature: float = 2.0) -> np.ndarray:
    r"""The share of a weight's initial error left after ``counts`` updates that move it.

    Along a weight :math:`\theta_j` whose loss has curvature :math:`c` (2 for the squared
    error :math:`(x^\top\theta - y)^2` with :math:`x_j = 1`), a gradient step multiplies the
    error :math:`\theta_j - \theta_j^\star` by :math:`(1 - \eta c)`; the other features and
    the noise in the targets are ignored. After :math:`n_j` such updates
    :math:`|1 - \eta c|^{n_j}` of the error is left: rarely updated weights keep most of it.

    Example:
        >>> predicted_error([0, 1, 10], learning_rate=0.1).round(4).tolist()
        [1.0, 0.8, 0.1074]
    """
    check_nonnegative("learning_rate", learning_rate)
    check_nonnegative("curvature", curvature)
    return np.abs(1.0 - learning_rate * curvature) ** np.asarray(counts, dtype=float)
