"""Run gdlib, optax and torch.optim side by side on the same smooth problem, in float64.

The problem is a random positive-definite quadratic plus a quartic, over a pytree with two
leaves; its gradient is computed in NumPy from each side's own current parameters, so only the
optimizers' arithmetic is compared. Each runner returns the flattened parameter vector after
every step, shape ``(num_steps + 1, dim)``.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import torch

import gdlib


class Problem:
    """J(θ) = ½ θᵀAθ + bᵀθ + ¼ Σ c θ⁴ on the flattened pytree {"w": (3, 2), "b": (2,)}."""

    shapes = {"b": (2,), "w": (3, 2)}  # sorted keys: the order jax.tree.leaves uses

    def __init__(self, seed: int = 0):
        rng = np.random.default_rng(seed)
        dim = sum(int(np.prod(s)) for s in self.shapes.values())
        q, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
        self.A = q @ np.diag(rng.uniform(0.5, 4.0, dim)) @ q.T
        self.b = rng.normal(size=dim)
        self.c = rng.uniform(0.05, 0.2, dim)
        self.theta0 = rng.normal(size=dim) * 1.5

    def grad(self, theta: np.ndarray) -> np.ndarray:
        return self.A @ theta + self.b + self.c * theta**3

    def loss(self, theta):
        return 0.5 * theta @ self.A @ theta + self.b @ theta + 0.25 * jnp.sum(self.c * theta**4)

    def loss_tree(self, tree: dict):
        return self.loss(jnp.concatenate([jnp.ravel(leaf) for leaf in jax.tree.leaves(tree)]))

    def to_tree(self, theta: np.ndarray) -> dict:
        out, start = {}, 0
        for name, shape in self.shapes.items():
            size = int(np.prod(shape))
            out[name] = jnp.asarray(theta[start:start + size].reshape(shape), jnp.float64)
            start += size
        return out

    @staticmethod
    def from_tree(tree: dict) -> np.ndarray:
        return np.concatenate([np.ravel(np.asarray(leaf)) for leaf in jax.tree.leaves(tree)])


def run_optax_shaped(opt, problem: Problem, num_steps: int,
                     apply: Callable = gdlib.apply_updates) -> np.ndarray:
    """Run a gdlib or optax optimizer; ``apply`` is gdlib's or optax's ``apply_updates``."""
    params = problem.to_tree(problem.theta0)
    state = opt.init(params)
    update = jax.jit(opt.update)
    history = [problem.from_tree(params)]
    for _ in range(num_steps):
        grads = problem.to_tree(problem.grad(history[-1]))
        updates, state = update(grads, state, params)
        params = apply(params, updates)
        history.append(problem.from_tree(params))
    return np.array(history)


def run_torch(make_opt: Callable, problem: Problem, num_steps: int) -> np.ndarray:
    """Run a ``torch.optim`` optimizer built by ``make_opt(list_of_tensors)``."""
    theta = problem.theta0
    tensors, start = [], 0
    for shape in problem.shapes.values():
        size = int(np.prod(shape))
        tensors.append(torch.tensor(theta[start:start + size].reshape(shape),
                                    dtype=torch.float64, requires_grad=True))
        start += size
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # NAdam keeps its momentum product in this dtype
    try:
        opt = make_opt(tensors)
        history = [theta]
        for _ in range(num_steps):
            grad, start = problem.grad(history[-1]), 0
            for t in tensors:
                t.grad = torch.tensor(grad[start:start + t.numel()].reshape(t.shape),
                                      dtype=torch.float64)
                start += t.numel()
            opt.step()
            history.append(np.concatenate([t.detach().numpy().ravel() for t in tensors]))
    finally:
        torch.set_default_dtype(previous)
    return np.array(history)


def relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max |b| over a whole trajectory."""
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))
