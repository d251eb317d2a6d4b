"""The book shows gdlib's code as it is, without the docstring."""

import gdlib
from gdlib.teach.source import code, show


def test_code_is_the_function_without_its_docstring():
    text = code(gdlib.adam)
    assert text.startswith("def adam(")
    assert "Kingma" not in text  # from the docstring
    assert "m / (1 - b1**t)" in text  # from the body
    assert "Kingma" in code(gdlib.adam, docstring=True)


def test_show_is_a_markdown_code_block():
    assert show(gdlib.sgd).data.startswith("```python\ndef sgd(")
