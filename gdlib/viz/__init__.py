"""Pictures and widgets: contour maps and paths, races, phase diagrams, critical points, and
figures a reader can drive with or without a kernel. Imports the layers below it
(:mod:`gdlib.optim`, :mod:`gdlib.problems`, :mod:`gdlib.train`), never
:mod:`gdlib.parallel` or :mod:`gdlib.teach`.

Modules: :mod:`~gdlib.viz.backdrop`, :mod:`~gdlib.viz.controls`, :mod:`~gdlib.viz.curves`,
:mod:`~gdlib.viz.explorer`, :mod:`~gdlib.viz.landscape`,
:mod:`~gdlib.viz.live_figure`, :mod:`~gdlib.viz.packing`, :mod:`~gdlib.viz.page`,
:mod:`~gdlib.viz.palette`,
:mod:`~gdlib.viz.phase`, :mod:`~gdlib.viz.plotting`, :mod:`~gdlib.viz.race`,
:mod:`~gdlib.viz.web`, :mod:`~gdlib.viz.widgets`.
"""
