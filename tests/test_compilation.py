"""quick_jit compiles with less optimization on the CPU and gives the same numbers."""

import jax
import jax.numpy as jnp
import numpy as np

from gdlib.train.compilation import QUICK_CPU_OPTIONS, quick_jit


def loop(x, n):
    return jax.lax.fori_loop(0, n, lambda i, y: jnp.tanh(y) * 1.01 + 0.1, x)


def test_quick_jit_gives_the_numbers_of_jit():
    quick = quick_jit(loop, static_argnums=1)
    x = jnp.linspace(-2.0, 2.0, 7)
    np.testing.assert_allclose(quick(x, 50), jax.jit(loop, static_argnums=1)(x, 50),
                               rtol=1e-6)


def test_quick_jit_passes_the_cpu_options_to_xla(monkeypatch):
    seen = []
    original = jax.jit

    def spy(fun, **kwargs):
        seen.append(kwargs.get("compiler_options"))
        return original(fun, **kwargs)

    monkeypatch.setattr(jax, "jit", spy)
    quick = quick_jit(loop, static_argnums=1)
    quick(jnp.ones(3), 2)
    quick(jnp.ones(3), 3)  # compiled once per backend, not once per call
    assert seen == [QUICK_CPU_OPTIONS if jax.default_backend() == "cpu" else None]
