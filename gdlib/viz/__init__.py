"""Pictures and widgets: contour maps and paths, races, phase diagrams, critical points, and
figures a reader can drive with or without a kernel. Imports the layers below it
(:mod:`gdlib.optim`, :mod:`gdlib.problems`, :mod:`gdlib.train`), never
:mod:`gdlib.parallel` or :mod:`gdlib.teach`.
"""
