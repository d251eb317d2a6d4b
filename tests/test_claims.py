"""gdlib.teach.claims: glued numbers are formatted once, and a failed claim names itself."""

import jax.numpy as jnp
import numpy as np
import pytest

from gdlib.teach import claims


def test_glue_stores_the_formatted_text_for_myst_nb(monkeypatch):
    stored = []
    monkeypatch.setattr(claims, "_myst_glue",
                        lambda name, value, display: stored.append((name, value, display)))
    assert claims.glue("loss", jnp.float32(0.43312), ".3f") == "0.433"
    assert claims.glue("share", np.float64(0.8487), ".1%") == "84.9%"
    assert claims.glue("steps", np.int64(3452), ",d") == "3,452"
    assert claims.glue("seeds", 5) == "5"
    assert stored == [("loss", "0.433", False), ("share", "84.9%", False),
                      ("steps", "3,452", False), ("seeds", "5", False)]


def test_glue_without_myst_nb_returns_the_text_and_stores_nothing(monkeypatch, capsys):
    monkeypatch.setattr(claims, "_myst_glue", None)
    assert claims.glue("loss", 0.5, ".2f") == "0.50"
    assert capsys.readouterr().out == ""


def test_glue_wants_a_format_for_a_float_and_check_for_a_condition():
    with pytest.raises(TypeError, match="format"):
        claims.glue("loss", 0.43312)
    with pytest.raises(TypeError, match="format"):
        claims.glue("loss", jnp.float32(0.5))
    with pytest.raises(TypeError, match="check"):
        claims.glue("ok", True)


def test_the_glued_output_is_what_myst_nb_reads(capsys):
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()
    published = []
    shell.display_pub.publish = lambda data, metadata=None, **kw: published.append((data, metadata))
    try:
        claims.glue("loss", 0.43312, ".3f")
    finally:
        InteractiveShell.clear_instance()
    (data, metadata), = published
    assert data == {"application/papermill.record/text/plain": "'0.433'"}
    assert metadata["scrapbook"]["name"] == "loss"
    from myst_nb.core.variables import format_plain_text
    assert format_plain_text(data["application/papermill.record/text/plain"], "") == "0.433"


def test_check_prints_the_claim_when_it_holds(capsys):
    claims.check("batch norm trains at a rate where the plain network diverges", True)
    claims.check("momentum is first", jnp.array(3) < jnp.array(4))
    claims.check("numpy agrees", np.float64(1.0) > 0)
    assert capsys.readouterr().out == (
        "Checked: batch norm trains at a rate where the plain network diverges.\n"
        "Checked: momentum is first.\nChecked: numpy agrees.\n")


def test_a_claim_that_fails_raises_with_the_claim_and_its_evidence(capsys):
    with pytest.raises(claims.ClaimError, match=r'claim "momentum is first" \(3 against 2\)'):
        claims.check("momentum is first", jnp.array(3) < 2, "3 against 2")
    assert capsys.readouterr().out == ""
    assert issubclass(claims.ClaimError, AssertionError)


def test_check_refuses_what_is_not_a_condition():
    with pytest.raises(TypeError, match="boolean"):
        claims.check("the loss is small", 0.1)
    with pytest.raises(TypeError, match="boolean"):
        claims.check("all seeds converge", jnp.array([True, False]))
