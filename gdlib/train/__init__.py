"""Training: compiled loops over steps and epochs, sweeps, tuning, races in numbers, what
theory predicts for them (convergence rates, acceleration, preconditioning), and the strategies
around the steps (orderings, batch normalization, early stopping, plateaus). Imports only
:mod:`gdlib.optim` and :mod:`gdlib.problems`.

Modules: :mod:`~gdlib.train.acceleration`, :mod:`~gdlib.train.batchnorm`,
:mod:`~gdlib.train.compilation`, :mod:`~gdlib.train.convergence`,
:mod:`~gdlib.train.early_stopping`, :mod:`~gdlib.train.orderings`, :mod:`~gdlib.train.plateau`,
:mod:`~gdlib.train.preconditioning`, :mod:`~gdlib.train.racing`, :mod:`~gdlib.train.runner`,
:mod:`~gdlib.train.training`, :mod:`~gdlib.train.tuning`, :mod:`~gdlib.train.variance`.
"""
