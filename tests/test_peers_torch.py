"""PyTorch's own optimizer configurations as a float64 differential test of gdlib (issue 16).

PyTorch tests ``torch.optim`` with the configurations that
``torch/testing/_internal/common_optimizers.py`` generates (``optim_inputs_func_sgd``,
``..._adam``, ...). That module cannot be imported here (it pulls in PyTorch's test harness,
which needs ``expecttest`` and changes global torch settings on import), so the functions are
read from the installed wheel and run as they are, for ``device="cpu"`` and ``torch.float64``.
Each configuration is run with ``torch.optim`` and with the gdlib optimizer it equals, fed the
same gradients for :data:`STEPS` steps over a pytree that holds every awkward case at once: a
scalar, a matrix, a leaf whose gradient is always exactly zero, huge and tiny gradients, and a
leaf whose gradients are mostly exact zeros. The parameter sequences must agree to 1e-10,
relative to each leaf's largest parameter.

Mapped as PyTorch defines them: ``maximize=True`` is gdlib on :math:`-g`; a coupled
``weight_decay`` λ is gdlib on :math:`g + \\lambda\\theta`; Adagrad's ``lr_decay`` k is
gdlib's time-based schedule :math:`\\eta / (1 + k t)`. A configuration that uses something gdlib
does not have is not run, and :func:`not_applicable` says why.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from jax import lax

import gdlib
from gdlib.optim import forms, schedules
from gdlib.train.compilation import QUICK_CPU_OPTIONS

STEPS = 100
TOLERANCE = 1e-10
CONFIGS = Path(torch.__file__).parent / "testing" / "_internal" / "common_optimizers.py"
TORCH_NAMES = {"sgd": "SGD", "adagrad": "Adagrad", "adadelta": "Adadelta", "rmsprop": "RMSprop",
               "adam": "Adam", "adamax": "Adamax", "nadam": "NAdam"}


def _inputs_functions() -> dict[str, Callable]:
    """PyTorch's ``optim_inputs_func_*`` for :data:`TORCH_NAMES`, run from the wheel's source."""
    tree = ast.parse(CONFIGS.read_text())
    wanted = {"OptimizerInput", "_get_device_type", "CUDA_CONFIG_GPUS"}
    wanted |= {f"optim_inputs_func_{name}" for name in TORCH_NAMES}
    body = [node for node in tree.body
            if (isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in wanted)
            or (isinstance(node, ast.Assign) and any(getattr(t, "id", None) in wanted
                                                    for t in node.targets))]
    namespace = {"torch": torch, "Tensor": torch.Tensor, "Parameter": torch.nn.Parameter,
                 "Any": Any}
    exec(compile(ast.Module(body=body, type_ignores=[]), str(CONFIGS), "exec"), namespace)
    return {name: namespace[f"optim_inputs_func_{name}"] for name in TORCH_NAMES}


FUNCTIONS = _inputs_functions()


class Config(NamedTuple):
    name: str  # the key of TORCH_NAMES
    desc: str
    kwargs: dict[str, Any]  # as PyTorch's configuration gives them

    def full(self) -> dict[str, Any]:
        """The configuration with torch.optim's defaults filled in."""
        signature = inspect.signature(getattr(torch.optim, TORCH_NAMES[self.name]).__init__)
        defaults = {k: p.default for k, p in signature.parameters.items()
                    if k not in ("self", "params")}
        return {**defaults, **self.kwargs}


CONFIGURATIONS = [Config(name, entry.desc, dict(entry.kwargs))
                  for name, function in FUNCTIONS.items()
                  for entry in function("cpu", torch.float64)]


def _number(value: Any) -> float:
    return float(value.item() if isinstance(value, torch.Tensor) else value)


def not_applicable(config: Config) -> str | None:
    """Why gdlib has no equivalent of ``config``, or None if it has one."""
    hp = config.full()
    reasons = {
        "amsgrad": "AMSGrad (Reddi et al. 2018) is not one of Ruder's optimizers",
        "centered": "centered RMSprop (Graves 2013) is not Hinton's rule, which gdlib implements",
        "decoupled_weight_decay": "decoupled weight decay (AdamW) is not a change of the "
                                  "gradient, and gdlib has no weight-decay transformation",
        "capturable": "capturable is for CUDA graphs",
    }
    for key, reason in reasons.items():
        if hp.get(key):
            return reason
    if config.name == "sgd" and hp["dampening"]:
        return ("SGD's dampening is not in Ruder's momentum (and PyTorch leaves the first step "
                "undampened)")
    if config.name == "rmsprop" and hp["momentum"]:
        return "RMSprop with momentum is not Hinton's rule, which gdlib implements"
    if config.name == "adagrad" and hp["initial_accumulator_value"]:
        return ("gdlib's Adagrad starts its accumulator at 0 (Duchi et al., Ruder), not at "
                "initial_accumulator_value")
    return None


def gdlib_optimizer(config: Config) -> tuple[Callable[..., Any], dict[str, float]]:
    """The gdlib factory equal to ``config``'s torch.optim optimizer, and its hyperparameters."""
    hp = config.full()
    lr = _number(hp["lr"])
    if config.name == "sgd":
        momentum = _number(hp["momentum"])
        if not momentum:
            return gdlib.sgd, {"learning_rate": lr}
        factory = gdlib.nesterov if hp["nesterov"] else gdlib.momentum
        return factory, {"learning_rate": lr, "momentum": momentum}
    if config.name == "adagrad":  # ε outside the root; lr_decay is the time-based schedule
        return (lambda learning_rate, lr_decay, eps: forms.adagrad_eps_outside(
            schedules.time_based(learning_rate, lr_decay), eps),
            {"learning_rate": lr, "lr_decay": _number(hp["lr_decay"]), "eps": hp["eps"]})
    if config.name == "adadelta":
        return gdlib.adadelta, {"learning_rate": lr, "rho": hp["rho"], "eps": hp["eps"]}
    if config.name == "rmsprop":  # ε outside the root; torch's alpha is the decay
        return forms.rmsprop_eps_outside, {"learning_rate": lr, "decay": hp["alpha"],
                                           "eps": hp["eps"]}
    b1, b2 = (_number(b) for b in hp["betas"])
    adam_like = {"learning_rate": lr, "b1": b1, "b2": b2, "eps": hp["eps"]}
    if config.name == "nadam":  # PyTorch's momentum warm-up (ψ = momentum_decay)
        return forms.nadam_warmup, {**adam_like, "momentum_decay": hp["momentum_decay"]}
    return {"adam": gdlib.adam, "adamax": gdlib.adamax}[config.name], adam_like


# ----------------------------------------------------------------------------- the problem

SHAPES = {"scalar": (), "matrix": (3, 4), "zero": (5,), "huge": (3,), "tiny": (3,),
          "sparse": (40,)}


def gradients(seed: int = 0) -> dict[str, np.ndarray]:
    """A fixed sequence of gradients per leaf, ``(STEPS, *shape)``, float64."""
    rng = np.random.default_rng(seed)
    out = {name: rng.normal(size=(STEPS, *shape)) for name, shape in SHAPES.items()}
    out["zero"] = np.zeros((STEPS, *SHAPES["zero"]))
    out["huge"] *= 1e20
    out["tiny"] *= 1e-20
    sparse = out["sparse"] * (rng.uniform(size=out["sparse"].shape) < 0.1)  # 90% exact zeros
    sparse[:, :10] = 0.0  # and ten coordinates that never see a gradient
    out["sparse"] = sparse
    return out


def start(seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {name: rng.normal(size=shape) for name, shape in SHAPES.items()}


def torch_run(config: Config, implementation: dict[str, Any]) -> dict[str, np.ndarray]:
    """The parameters after every step, ``(STEPS + 1, *shape)`` per leaf."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # NAdam keeps its momentum product in this dtype
    try:
        tensors = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
                   for k, v in start().items()}
        optimizer = getattr(torch.optim, TORCH_NAMES[config.name])(
            list(tensors.values()), **config.kwargs, **implementation)
        grads, history = gradients(), {k: [v.detach().numpy().copy()]
                                       for k, v in tensors.items()}
        for t in range(STEPS):
            for k, tensor in tensors.items():
                tensor.grad = torch.tensor(grads[k][t], dtype=torch.float64)
            optimizer.step()
            for k, tensor in tensors.items():
                history[k].append(tensor.detach().numpy().copy())
    finally:
        torch.set_default_dtype(previous)
    return {k: np.array(v) for k, v in history.items()}


_COMPILED: dict[Any, Callable] = {}


def gdlib_run(config: Config) -> dict[str, np.ndarray]:
    """gdlib on the same gradients, as PyTorch changes them: ``sign * g + weight_decay * θ``.

    One compiled ``lax.scan`` per gdlib factory: the hyperparameters are traced arguments.
    """
    factory, hyperparams = gdlib_optimizer(config)
    hp = config.full()
    key = (config.name, factory, tuple(sorted(hyperparams)))
    if key not in _COMPILED:
        def run(hyper, sign, weight_decay, params, grads):
            optimizer = factory(**hyper)

            def step(carry, g):
                params, state = carry
                g = jax.tree.map(lambda g, p: sign * g + weight_decay * p, g, params)
                updates, state = optimizer.update(g, state, params)
                params = gdlib.apply_updates(params, updates)
                return (params, state), params

            _, history = lax.scan(step, (params, optimizer.init(params)), grads)
            return jax.tree.map(lambda p0, h: jnp.concatenate([p0[None], h]), params, history)

        _COMPILED[key] = jax.jit(run, compiler_options=QUICK_CPU_OPTIONS)
    with jax.enable_x64(True):
        history = _COMPILED[key](
            {k: jnp.float64(v) for k, v in hyperparams.items()},
            jnp.float64(-1.0 if hp["maximize"] else 1.0), jnp.float64(_number(hp["weight_decay"])),
            {k: jnp.asarray(v) for k, v in start().items()},
            {k: jnp.asarray(v) for k, v in gradients().items()})
        return {k: np.asarray(v) for k, v in history.items()}


def _id(config: Config) -> str:
    return f"{config.name}-{config.desc}".replace(" ", "_")


APPLICABLE = [c for c in CONFIGURATIONS if not_applicable(c) is None]
# Each configuration with PyTorch's default CPU loop and with its multi-tensor one.
IMPLEMENTATIONS = {"single_tensor": {"foreach": False}, "foreach": {"foreach": True}}


@pytest.fixture(scope="module")
def gdlib_runs():
    return {}


@pytest.mark.parametrize("implementation", list(IMPLEMENTATIONS))
@pytest.mark.parametrize("config", APPLICABLE, ids=_id)
def test_gdlib_equals_torch_on_pytorchs_configurations(config, implementation, gdlib_runs, x64):
    if _id(config) not in gdlib_runs:
        gdlib_runs[_id(config)] = gdlib_run(config)
    ours = gdlib_runs[_id(config)]
    theirs = torch_run(config, IMPLEMENTATIONS[implementation])
    for leaf, expected in theirs.items():
        assert np.all(np.isfinite(expected)), (leaf, "torch's run must stay finite")
        scale = np.max(np.abs(expected))
        gap = np.max(np.abs(ours[leaf] - expected)) / scale
        assert gap <= TOLERANCE, f"{leaf}: {gap:.2e} (relative to {scale:.1e})"
    moved = np.max(np.abs(ours["matrix"][-1] - ours["matrix"][0]))
    assert moved > 1e-4, "the run must move to test anything"
    np.testing.assert_array_equal(ours["zero"][-1] == ours["zero"][0],
                                  _number(config.full()["weight_decay"]) == 0)


def test_every_configuration_is_run_or_says_why_not():
    assert len(CONFIGURATIONS) >= 40  # PyTorch's lists for the seven optimizers, on the CPU
    skipped = {_id(c): not_applicable(c) for c in CONFIGURATIONS if not_applicable(c)}
    assert len(APPLICABLE) >= 30 and all(skipped.values())
    assert {c.name for c in APPLICABLE} == set(TORCH_NAMES)


def test_the_extracted_functions_are_pytorchs():
    # e.g. optim_inputs_func_adam gives "default", "non-default lr", ... on the CPU
    descriptions = [c.desc for c in CONFIGURATIONS if c.name == "adam"]
    assert descriptions[:2] == ["default", "non-default lr"]
    assert not any("capturable" in c.kwargs for c in CONFIGURATIONS)  # CUDA-only ones left out
