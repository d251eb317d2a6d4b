"""Run pytest for each mutant in a forked process that has the heavy libraries imported already.

A mutant's test run is mostly start-up: Python, pytest, JAX, PyTorch, optax, scikit-learn and
matplotlib take several seconds to import, the tests themselves often less. This server
imports those libraries once (never gdlib, so that every run imports the mutated source fresh,
and never a JAX computation, so that no JAX thread exists when it forks), then forks a child
per request that runs ``pytest.main`` on the given arguments and exits with its status.

    python tests/mutation/forkserver.py SOCKET           # serve (mutate.py starts it)
    python tests/mutation/forkserver.py SOCKET ARGS...    # a client: run pytest ARGS, exit
                                                          # with pytest's status

A run that exceeds ``GDLIB_MUTATION_TIMEOUT`` seconds (default 300) is killed and reported as
a failure (a mutant that makes a loop run forever is caught).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys


def serve(path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import jax  # noqa: F401
    import jax.numpy  # noqa: F401
    import matplotlib.pyplot  # noqa: F401
    import numpy  # noqa: F401
    import optax  # noqa: F401
    import pytest
    import scipy  # noqa: F401
    import sklearn.datasets  # noqa: F401
    import torch  # noqa: F401
    from jax._src import xla_bridge

    assert not xla_bridge._backends, "a JAX backend exists before forking"
    timeout = float(os.environ.get("GDLIB_MUTATION_TIMEOUT", "300"))
    if os.path.exists(path):
        os.unlink(path)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    while True:
        connection, _ = server.accept()
        with connection:
            request = json.loads(connection.makefile().readline())
            if request == "stop":
                break
            child = os.fork()
            if child == 0:  # the child: one pytest run, its output to the client's files
                server.close()
                os.chdir(request["cwd"])
                for fd, name in ((1, "stdout"), (2, "stderr")):
                    with open(request[name], "w") as out:
                        os.dup2(out.fileno(), fd)
                os._exit(int(pytest.main(request["args"])))
            signal.signal(signal.SIGALRM, lambda *_, child=child: os.kill(child, signal.SIGKILL))
            signal.alarm(int(timeout))
            _, status = os.waitpid(child, 0)
            signal.alarm(0)
            connection.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
    server.close()
    os.unlink(path)


def request(path: str, args: list[str]) -> int:
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(path)
    with client:
        out = f"/tmp/gdlib-mutation-{os.getpid()}"
        message = {"cwd": os.getcwd(), "args": args, "stdout": out + ".out",
                   "stderr": out + ".err"}
        client.sendall((json.dumps(message) + "\n").encode())
        code = int(client.makefile().readline() or 1)
    for suffix in (".out", ".err"):  # cosmic-ray keeps the output of a survivor
        try:
            with open(out + suffix) as f:
                (sys.stdout if suffix == ".out" else sys.stderr).write(f.read()[-4000:])
            os.unlink(out + suffix)
        except OSError:
            pass
    return 0 if code == 0 else 1


def stop(path: str) -> None:
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(path)
    with client:
        client.sendall(b'"stop"\n')


if __name__ == "__main__":
    if len(sys.argv) == 2:
        serve(sys.argv[1])
    else:
        sys.exit(request(sys.argv[1], sys.argv[2:]))
