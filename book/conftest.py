"""pytest configuration for the notebooks, which `make test` checks with nbval.

nbval 0.11 sends each cell to the kernel with ``store_history=False``. IPython then does not
record the cell, so a trailing ``;`` no longer hides the value of the last line (IPython looks
for the ``;`` in the last *recorded* cell): ``ax.plot(x);`` shows ``[<Line2D ...>]`` under
nbval, but not in Jupyter, Colab or ``make outputs``, and the cell fails the comparison. Here
cells are run as Jupyter runs them, with ``store_history=True``.
"""

import nbval.kernel


def _execute_cell_input(self, cell_input, allow_stdin=None):
    return self.kc.execute(
        cell_input, store_history=True, allow_stdin=allow_stdin, stop_on_error=False
    )


assert hasattr(nbval.kernel.RunningKernel, "execute_cell_input"), "nbval changed: see above"
nbval.kernel.RunningKernel.execute_cell_input = _execute_cell_input
