"""The problems the optimizers run on: 2-D surfaces, bundled data sets, models and losses,
mini-batches and sparse features. Imports only :mod:`gdlib.optim`.

Modules: :mod:`~gdlib.problems.batches`, :mod:`~gdlib.problems.data`,
:mod:`~gdlib.problems.models`, :mod:`~gdlib.problems.sparsity`,
:mod:`~gdlib.problems.surfaces`.
"""
