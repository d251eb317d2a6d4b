"""The comparison plot draws one mean line per optimizer."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from gdlib.train import tuning  # noqa: E402


def test_plot_draws_the_mean_of_the_seeds():
    curves = np.array([[1.0, 0.5], [1.0, 0.3]])
    result = tuning.Result("adam", np.array([0.1]), np.array([0.4]), 0.1, curves, curves)
    ax = plt.figure().gca()
    tuning.plot(ax, [result])
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [1.0, 0.4])
    plt.close("all")
