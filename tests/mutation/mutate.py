"""Mutation testing of gdlib's core modules with cosmic-ray, one module at a time.

Usage (from the repository root; ``make mutation`` runs every module):

    python tests/mutation/mutate.py                    # every module in MODULES
    python tests/mutation/mutate.py optimizers batches # some of them
    python tests/mutation/mutate.py --report           # the scores of the last run
    python tests/mutation/mutate.py --survivors exercises  # retest the survivors only

For each module, cosmic-ray makes one-line bugs (an operator, a comparison, a number, a
condition, a loop that never runs, ...: :data:`EXCLUDED` lists the operators left out, and
why), writes each into the module in turn, and runs the module's own test files with
``pytest -x``; a mutant that no test notices *survives*. Each mutant runs in a fresh process
(forked from ``forkserver.py``, which has imported JAX, PyTorch, optax and the rest once, but
never gdlib), one at a time (the machine is shared), against the targeted test files only, with
JAX's persistent compilation cache so that the programs a mutant does not change are not
compiled again (a speed-up only: the cache is keyed by the program). Sessions are kept in
``_build/mutation/<module>.sqlite``; survivors that cannot change behaviour are listed, with
the reason, in ``tests/mutation/EQUIVALENT.md`` (by operator and the line they change), and the
report counts them apart.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: module -> (its path, the test files that exercise it)
MODULES = {
    "batches": ("gdlib/problems/batches.py", ["tests/test_batches.py"]),
    "schedules": ("gdlib/optim/schedules.py", ["tests/test_schedules.py"]),
    "hyperparams": ("gdlib/optim/hyperparams.py", ["tests/test_hyperparams.py"]),
    "early_stopping": ("gdlib/train/early_stopping.py", ["tests/test_early_stopping.py"]),
    "runner": ("gdlib/train/runner.py", ["tests/test_runner.py"]),
    "exercises": ("gdlib/teach/exercises.py", ["tests/test_exercises.py"]),
    "optimizers": ("gdlib/optim/optimizers.py", ["tests/test_optimizers.py"]),
}

#: cosmic-ray operators left out: the rest make about one mutant per operator, comparison,
#: number and condition, as mutmut does. Bitwise and shift operators do not occur in these
#: modules' arithmetic; replacing + by ** (and the like) makes the same bugs as + by -, only
#: more of them; a comparison is mutated to its boundary twin (< to <=) and == to !=, not to
#: every other comparison; VariableReplacer and VariableInserter put random numbers in place
#: of names, which fails at once on the first call.
EXCLUDED = [
    r"core/ReplaceBinaryOperator_.*_(RShift|LShift|BitOr|BitAnd|BitXor)",
    r"core/ReplaceBinaryOperator_(RShift|LShift|BitOr|BitAnd|BitXor)_.*",
    r"core/ReplaceBinaryOperator_Add_(Mul|Div|FloorDiv|Mod|Pow)",
    r"core/ReplaceBinaryOperator_Sub_(Mul|Div|FloorDiv|Mod|Pow)",
    r"core/ReplaceBinaryOperator_Mul_(Add|Sub|FloorDiv|Mod|Pow)",
    r"core/ReplaceBinaryOperator_Div_(Add|Sub|FloorDiv|Mod|Pow)",
    r"core/ReplaceBinaryOperator_FloorDiv_(Add|Sub|Mul|Mod|Pow)",
    r"core/ReplaceBinaryOperator_Mod_(Add|Sub|Mul|Div|Pow)",
    r"core/ReplaceBinaryOperator_Pow_(Add|Sub|Div|FloorDiv|Mod)",
    r"core/ReplaceComparisonOperator_Eq_(Lt|LtE|Gt|GtE|Is|IsNot)",
    r"core/ReplaceComparisonOperator_NotEq_(Lt|LtE|Gt|GtE|Is|IsNot)",
    r"core/ReplaceComparisonOperator_Lt_(Eq|NotEq|Gt|GtE|Is|IsNot)",
    r"core/ReplaceComparisonOperator_LtE_(Eq|NotEq|Gt|GtE|Is|IsNot)",
    r"core/ReplaceComparisonOperator_Gt_(Eq|NotEq|Lt|LtE|Is|IsNot)",
    r"core/ReplaceComparisonOperator_GtE_(Eq|NotEq|Lt|LtE|Is|IsNot)",
    r"core/ReplaceComparisonOperator_Is_(Eq|NotEq|Lt|LtE|Gt|GtE)",
    r"core/ReplaceComparisonOperator_IsNot_(Eq|NotEq|Lt|LtE|Gt|GtE)",
    r"core/ReplaceUnaryOperator_.*Invert.*",
    r"core/ReplaceUnaryOperator_UAdd_Not",
    r"core/ReplaceUnaryOperator_USub_Not",
    r"core/VariableReplacer",
    r"core/VariableInserter",
]

CONFIG = """[cosmic-ray]
module-path = "{path}"
timeout = {timeout}
excluded-modules = []
test-command = "{python} {client} {socket} -x -q -p no:cacheprovider --no-header {tests}"

[cosmic-ray.distributor]
name = "local"

[cosmic-ray.filters.operators-filter]
exclude-operators = {excluded}
"""


def _changed_lines(diff: str | None) -> tuple[str, str]:
    """The line a mutant changed, as the module has it and as the mutant has it."""
    lines = (diff or "").splitlines()
    removed = [x[1:].strip() for x in lines if x.startswith("-") and not x.startswith("---")]
    added = [x[1:].strip() for x in lines if x.startswith("+") and not x.startswith("+++")]
    return (removed[0] if removed else "", added[0] if added else "")


def equivalent(root: Path) -> dict[str, set[tuple[str, str, str]]]:
    """The survivors documented as equivalent: module -> {(operator, line, mutant's line)}.

    ``EQUIVALENT.md`` names a mutant by its operator, the line it changes and what it changes
    it to (not by line number, which moves when the module does)."""
    path = root / "tests" / "mutation" / "EQUIVALENT.md"
    found: dict[str, set[tuple[str, str, str]]] = {}
    if path.exists():
        rows = re.findall(r"^\| (\w+) \| `(core/\w+)` \| `(.+?)` \| `(.+?)` \|",
                          path.read_text(), re.M)
        for module, operator, line, mutant in rows:
            found.setdefault(module, set()).add((operator, line, mutant))
    return found


def results(session: Path) -> list[dict]:
    """Every mutant of a session: operator, position, outcome, and the mutated line."""
    db = sqlite3.connect(session)
    rows = db.execute(
        "SELECT m.operator_name, m.start_pos_row, m.start_pos_col, m.occurrence, "
        "r.test_outcome, r.worker_outcome, r.diff FROM mutation_specs m "
        "JOIN work_results r ON m.job_id = r.job_id").fetchall()
    keys = ["operator", "line", "col", "occurrence", "test_outcome", "worker_outcome", "diff"]
    return [dict(zip(keys, row, strict=True)) for row in rows]


def score(root: Path, name: str) -> dict:
    session = root / "_build" / "mutation" / f"{name}.sqlite"
    if not session.exists():
        return {}
    done = [r for r in results(session) if (r["worker_outcome"] or "").lower() != "skipped"]
    known = equivalent(root).get(name, set())
    survived = [r for r in done if (r["test_outcome"] or "").lower() == "survived"]
    eq = [r for r in survived if (r["operator"], *_changed_lines(r["diff"])) in known]
    killed = [r for r in done if (r["test_outcome"] or "").lower() in ("killed", "incompetent")]
    total = len(killed) + len(survived)
    return {"module": name, "mutants": total, "killed": len(killed),
            "survived": len(survived) - len(eq), "equivalent": len(eq),
            "score": (len(killed) / (total - len(eq))) if total > len(eq) else 1.0,
            "survivors": ["{}@{}: {} -> {}".format(r["operator"], r["line"],
                                                   *_changed_lines(r["diff"]))
                          for r in survived if r not in eq]}


def run(root: Path, name: str, timeout: float, survivors: bool = False) -> None:
    """Mutate module ``name`` and test every mutant; with ``survivors``, retest only the
    survivors of the last session (after adding tests: the module must be unchanged since)."""
    path, tests = MODULES[name]
    out = root / "_build" / "mutation"
    out.mkdir(parents=True, exist_ok=True)
    config, session = out / f"{name}.toml", out / f"{name}.sqlite"
    server = out / "forkserver.sock"
    client = Path(__file__).with_name("forkserver.py")
    config.write_text(CONFIG.format(path=path, timeout=timeout + 30, python=sys.executable,
                                    client=client, socket=server, tests=" ".join(tests),
                                    excluded=json.dumps(EXCLUDED)))
    if not survivors:
        session.unlink(missing_ok=True)
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONHASHSEED": "0",
           "PYTHONPATH": str(root),  # the checkout being mutated, not another one
           "GDLIB_MUTATION_TIMEOUT": str(timeout),
           "JAX_COMPILATION_CACHE_DIR": str(out / "jax-cache"),
           "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
           "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
           "MPLBACKEND": "Agg"}
    cosmic = [sys.executable, "-m", "cosmic_ray.cli"]
    if survivors:
        db = sqlite3.connect(session)
        with db:
            db.execute("DELETE FROM work_results WHERE lower(test_outcome) = 'survived'")
        db.close()
    else:
        subprocess.run([*cosmic, "init", str(config), str(session)], cwd=root, env=env,
                       check=True)
        subprocess.run([sys.executable, "-m", "cosmic_ray.tools.filters.operators_filter",
                        str(session), str(config)], cwd=root, env=env, check=True)
    forks = subprocess.Popen([sys.executable, str(client), str(server)], cwd=root, env=env)
    try:
        while not server.exists():
            if forks.poll() is not None:
                raise SystemExit("the fork server did not start")
            time.sleep(0.2)
        subprocess.run([*cosmic, "exec", str(config), str(session)], cwd=root, env=env,
                       check=True)
    finally:
        forks.terminate()
        forks.wait()
        server.unlink(missing_ok=True)
    if subprocess.run(["git", "diff", "--quiet", "--", path], cwd=root).returncode:
        raise SystemExit(f"{path} was left mutated: git checkout -- {path}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", default=list(MODULES))
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to mutate")
    parser.add_argument("--report", action="store_true", help="only report the last run")
    parser.add_argument("--survivors", action="store_true",
                        help="retest only the last run's survivors (the module unchanged)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per mutant")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.modules) - set(MODULES))
    if unknown:
        parser.error(f"unknown modules {unknown}; choose from {sorted(MODULES)}")
    for name in args.modules:
        if not args.report:
            run(args.root, name, args.timeout, args.survivors)
    scores = [s for s in (score(args.root, name) for name in args.modules) if s]
    for s in scores:
        print(f"{s['module']:15} {s['killed']:4} of {s['mutants'] - s['equivalent']:4} killed "
              f"({100 * s['score']:.1f}%), {s['equivalent']} equivalent, "
              f"{s['survived']} surviving")
        for survivor in s["survivors"]:
            print(f"    {survivor}")
    total = sum(s["mutants"] - s["equivalent"] for s in scores)
    killed = sum(s["killed"] for s in scores)
    if total:
        print(f"{'all':15} {killed:4} of {total:4} killed ({100 * killed / total:.1f}%)")
    return 1 if any(s["survived"] for s in scores) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
