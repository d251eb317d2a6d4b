"""The optimizer library: the interface, the optimizers and their other forms, schedules,
hyperparameter checks, composition and gradient noise. It imports nothing else from gdlib.

Modules: :mod:`~gdlib.optim.ablation`, :mod:`~gdlib.optim.base` (``GradientTransformation``,
``apply_updates``), :mod:`~gdlib.optim.combine`, :mod:`~gdlib.optim.extras`,
:mod:`~gdlib.optim.forms`, :mod:`~gdlib.optim.gradient_noise`, :mod:`~gdlib.optim.hyperparams`,
:mod:`~gdlib.optim.optimizers`, :mod:`~gdlib.optim.schedules`.
"""
