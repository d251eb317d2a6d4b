r"""The update equations of every optimizer, as LaTeX, for the book's summary table.

:data:`UPDATE_EQUATIONS` holds, for each optimizer in :data:`gdlib.optim.optimizers.BY_NAME`, the
update :math:`\Delta\theta_t` that gdlib computes (:math:`\theta_t = \theta_{t-1} +
\Delta\theta_t`, :math:`g_t = \nabla J(\theta_{t-1})`), the running quantities it needs, and
what the slides' summary table says where it differs. :func:`table` turns it into a Markdown
table, with the library calls each row is tested against (:data:`gdlib.teach.oracles.ORACLES`).
"""

from __future__ import annotations

from typing import NamedTuple


class UpdateEquation(NamedTuple):
    r"""One row of the table.

    Attributes:
        method: the method's name in the slides.
        update: :math:`\Delta\theta_t` as gdlib computes it (LaTeX, no dollar signs).
        state: the running quantities the update uses, one LaTeX equation each.
        slides: the slides' table entry where it differs from ``update`` (LaTeX), "" where
            it agrees, ``None`` where the slides' table has no row for the method.
        note: what the gdlib column says instead of the optimizer's name (Markdown), or "".
    """

    method: str
    update: str
    state: tuple[str, ...]
    slides: str | None
    note: str = ""


_ADAM_MOMENTS = (r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t",
                 r"v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2",
                 r"\hat v_t = \frac{v_t}{1-\beta_2^t}")

#: The update equation of every optimizer, in the order of the slides.
UPDATE_EQUATIONS: dict[str, UpdateEquation] = {
    "sgd": UpdateEquation("SGD", r"-\eta\, g_t", (), ""),
    "momentum": UpdateEquation(
        "Momentum", r"-\gamma v_{t-1} - \eta\, g_t", (r"v_t = -\Delta\theta_t",), ""),
    "nesterov": UpdateEquation(
        "NAG", r"-\gamma v_{t-1} - \eta \nabla J(\theta_{t-1} - \gamma v_{t-1})",
        (r"v_t = -\Delta\theta_t",), "",
        note=r"`run_nesterov_lookahead`; `nesterov` in $\phi_t = \theta_t - \gamma v_t$"),
    "adagrad": UpdateEquation(
        "Adagrad", r"-\frac{\eta}{\sqrt{G_t + \epsilon}} \odot g_t",
        (r"G_t = G_{t-1} + g_t^2",), ""),
    "adadelta": UpdateEquation(
        "Adadelta",
        r"-\eta\, \frac{\mathrm{RMS}[\Delta\theta]_{t-1}}{\mathrm{RMS}[g]_t}\, g_t",
        (r"E[g^2]_t = \rho E[g^2]_{t-1} + (1-\rho) g_t^2",
         r"E[\Delta\theta^2]_t = \rho E[\Delta\theta^2]_{t-1} + (1-\rho)(\Delta\theta_t/\eta)^2",
         r"\mathrm{RMS}[x]_t = \sqrt{E[x^2]_t + \epsilon}"),
        r"-\frac{\mathrm{RMS}[\Delta\theta]_{t-1}}{\mathrm{RMS}[g]_t}\, g_t"),
    "rmsprop": UpdateEquation(
        "RMSprop", r"-\frac{\eta}{\sqrt{E[g^2]_t + \epsilon}}\, g_t",
        (r"E[g^2]_t = \gamma E[g^2]_{t-1} + (1-\gamma) g_t^2",), ""),
    "adam": UpdateEquation(
        "Adam", r"-\frac{\eta}{\sqrt{\hat v_t} + \epsilon}\, \hat m_t",
        (*_ADAM_MOMENTS, r"\hat m_t = \frac{m_t}{1-\beta_1^t}"),
        r"-\frac{\eta}{\sqrt{\hat v_t + \epsilon}}\, \hat m_t"),
    "adamax": UpdateEquation(
        "AdaMax", r"-\frac{\eta}{1-\beta_1^t}\, \frac{m_t}{u_t}",
        (r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t",
         r"u_t = \max(\beta_2 u_{t-1}, \lvert g_t \rvert + \epsilon)"), None),
    "nadam": UpdateEquation(
        "Nadam", r"-\frac{\eta}{\sqrt{\hat v_t} + \epsilon} \Big(\frac{\beta_1 m_t}"
        r"{1-\beta_1^{t+1}} + \frac{(1-\beta_1)\, g_t}{1-\beta_1^t}\Big)",
        _ADAM_MOMENTS, None),
}

#: The LaTeX symbol of each hyperparameter name.
SYMBOLS = {"learning_rate": r"\eta", "momentum": r"\gamma", "decay": r"\gamma", "rho": r"\rho",
           "b1": r"\beta_1", "b2": r"\beta_2", "eps": r"\epsilon"}


_UNICODE = {"learning_rate": "η", "momentum": "γ", "decay": "γ", "rho": "ρ", "b1": "β1",
            "b2": "β2", "eps": "ε"}


def table(*, oracles: bool = False) -> str:
    r"""The update equations as a Markdown table, one row per optimizer; or, with ``oracles``,
    the optax and PyTorch calls each optimizer is tested against
    (:data:`gdlib.teach.oracles.ORACLES`).

    Example:
        >>> print(table().splitlines()[2])
        | SGD | `sgd` | $-\eta\, g_t$ |  | same |
        >>> print(table(oracles=True).splitlines()[2])
        | SGD | `optax.sgd(η)` | `torch.optim.SGD(lr=η)` |
    """
    if oracles:
        return _oracle_table()
    rows = [["Method", "gdlib", r"Update $\Delta\theta_t$", "where", "the slides' table"]]
    rows.append(["---"] * len(rows[0]))
    for name, eq in UPDATE_EQUATIONS.items():
        slides = ("no row" if eq.slides is None else "same" if eq.slides == ""
                  else f"${eq.slides}$")
        rows.append([eq.method, eq.note or f"`{name}`", f"${eq.update}$",
                     "<br>".join(f"${part}$" for part in eq.state), slides])
    return _markdown(rows)


def _oracle_table() -> str:
    from gdlib.teach.oracles import ORACLES

    rows = [["Method", "optax", "PyTorch"], ["---"] * 3]
    for name, eq in UPDATE_EQUATIONS.items():
        calls = {"optax": "none", "torch": "none (ε outside the root)"}
        for oracle in ORACLES[name]:
            calls[oracle.label.split(".")[0]] = f"`{oracle.label.format(**_UNICODE)}`"
        rows.append([eq.method, calls["optax"], calls["torch"]])
    return _markdown(rows)


def _markdown(rows: list[list[str]]) -> str:
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def markdown(*, oracles: bool = False):
    """:func:`table` as ``IPython.display.Markdown``, to show in a notebook."""
    from IPython.display import Markdown

    return Markdown(table(oracles=oracles))
