"""Training: compiled loops over steps and epochs, sweeps, tuning, and the strategies around
the steps (orderings, batch normalization, early stopping, plateaus). Imports only
:mod:`gdlib.optim` and :mod:`gdlib.problems`.

Modules: :mod:`~gdlib.train.runner`, :mod:`~gdlib.train.training`,
:mod:`~gdlib.train.compilation`, :mod:`~gdlib.train.tuning`, :mod:`~gdlib.train.orderings`,
:mod:`~gdlib.train.batchnorm`, :mod:`~gdlib.train.early_stopping`,
:mod:`~gdlib.train.plateau`, :mod:`~gdlib.train.variance`.
"""
