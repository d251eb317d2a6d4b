"""Parallel and distributed SGD: data parallelism on a device mesh, the compiled program's
collectives, and exact simulations of Hogwild!, Downpour, delay-tolerant SGD and EASGD.
Imports the layers below it, never :mod:`gdlib.viz` or :mod:`gdlib.teach`.

Modules: :mod:`~gdlib.parallel.async_tuning`, :mod:`~gdlib.parallel.compiled_program`,
:mod:`~gdlib.parallel.data_parallel`, :mod:`~gdlib.parallel.delay_tolerant`,
:mod:`~gdlib.parallel.downpour`, :mod:`~gdlib.parallel.easgd`,
:mod:`~gdlib.parallel.event_schedule`, :mod:`~gdlib.parallel.hogwild`,
:mod:`~gdlib.parallel.hogwild_worker`, :mod:`~gdlib.parallel.large_batch`,
:mod:`~gdlib.parallel.pipeline`, :mod:`~gdlib.parallel.ring_allreduce`.
"""
