"""Parallel and distributed SGD: data parallelism on a device mesh, the compiled program's
collectives, and exact simulations of Hogwild!, Downpour, delay-tolerant SGD and EASGD.
Imports the layers below it, never :mod:`gdlib.viz` or :mod:`gdlib.teach`.
"""
