"""The book's teaching aids: exercise checkers, oracles (optax and PyTorch beside gdlib), the
update equations as LaTeX, gdlib's own source shown in a page, measurements, and the claims a
page checks. Imports the layers below it, never :mod:`gdlib.viz` or :mod:`gdlib.parallel`.
"""
