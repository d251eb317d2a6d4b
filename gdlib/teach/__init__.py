"""The book's teaching aids: exercise checkers, oracles (optax and PyTorch beside gdlib), the
update equations as LaTeX, gdlib's own source shown in a page, measurements, and the claims a
page checks. Imports the layers below it, never :mod:`gdlib.viz` or :mod:`gdlib.parallel`.

Modules: :mod:`~gdlib.teach.claims`, :mod:`~gdlib.teach.equations`,
:mod:`~gdlib.teach.exercises`, :mod:`~gdlib.teach.measure`, :mod:`~gdlib.teach.oracles`,
:mod:`~gdlib.teach.source`.
"""
