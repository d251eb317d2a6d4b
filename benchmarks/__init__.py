"""Benchmarks of gdlib against its peers, each figure a ratio measured in the same run.

One module per benchmark, each runnable alone (``python -m benchmarks.step``) with a
``run(**sizes) -> dict`` function and a ``QUICK`` dict of tiny sizes for smoke tests;
``python -m benchmarks`` (``make bench``) runs them all, prints one table and writes
``benchmarks/results/<name>.json``. :mod:`benchmarks.report` turns those files into the
tables and plots of the book's Performance appendix.
"""

#: The benchmarks, in the order ``make bench`` runs them.
NAMES = ("step", "sweep", "slider", "first_call", "data_parallel", "book", "suite")
