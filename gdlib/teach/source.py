"""Show gdlib's own code in a page, so the book never retypes (and never misquotes) it."""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from typing import Any


def code(fn: Callable[..., Any], docstring: bool = False) -> str:
    """The source of ``fn``, without its docstring unless asked.

    Example:
        >>> import gdlib
        >>> print(code(gdlib.apply_updates))  # doctest: +NORMALIZE_WHITESPACE
        def apply_updates(params: PyTree, updates: PyTree) -> PyTree:
            return jax.tree.map(lambda p, u: jnp.asarray(p + u).astype(jnp.result_type(p)),
                                params, updates)
    """
    source = textwrap.dedent(inspect.getsource(fn))
    if docstring:
        return source.rstrip()
    body = ast.parse(source).body[0]
    doc = body.body[0] if body.body else None
    if not (isinstance(doc, ast.Expr) and isinstance(getattr(doc, "value", None), ast.Constant)
            and isinstance(doc.value.value, str)):
        return source.rstrip()
    lines = source.splitlines()
    kept = lines[: doc.lineno - 1] + lines[doc.end_lineno:]
    return "\n".join(kept).rstrip()


def show(fn: Callable[..., Any], docstring: bool = False):
    """Display the source of ``fn`` as a highlighted code block in a notebook."""
    from IPython.display import Markdown

    return Markdown(f"```python\n{code(fn, docstring)}\n```")
