#!/usr/bin/env bash
# One run on a GPU machine: every benchmark and every notebook, one report (a few minutes).
#
#   bash benchmarks/gpu_report.sh OUT_DIR               on the GPU machine
#   bash benchmarks/gpu_report.sh --fetch-wheels DIR    here, beforehand (needs PyPI)
#
# The GPU machine is expected to have Python with a CUDA build of jax, optax, torch and
# matplotlib, and no network: the notebook tools (ipython, ipykernel, ipywidgets, nbval, ...)
# are installed from wheels fetched beforehand with --fetch-wheels and carried along
# (WHEELS=DIR, default .gpu-wheels). gdlib and the benchmarks are used from this tree.
#
# Writes OUT_DIR/<benchmark>.json (the same schema as benchmarks/results), OUT_DIR/report.md
# (the table the Performance appendix shows, and where it was measured) and OUT_DIR/run.log.
# Environment: PYTHON (default python3), WHEELS, QUICK=1 for tiny sizes (to test the script),
# BENCH_TIMEOUT (default 540 s: the benchmarks run in order and each is saved when done, the
# book last, so a run cut short still leaves the others).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PYTHON:-python3}
WHEELS=${WHEELS:-.gpu-wheels}
TOOLS="ipython ipykernel ipywidgets nbval nbformat nbclient jupyter_client"

if [ "${1:-}" = "--fetch-wheels" ]; then
  dir=${2:-.gpu-wheels}
  # The GPU image's Python is 3.12 on x86-64 Linux; only binary wheels, with dependencies.
  exec "$PY" -m pip download --quiet --only-binary=:all: --python-version 3.12 \
    --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux_2_28_x86_64 -d "$dir" $TOOLS
fi

OUT=${1:?usage: bash benchmarks/gpu_report.sh OUT_DIR (or --fetch-wheels DIR)}
mkdir -p "$OUT"
exec > >(tee "$OUT/run.log") 2>&1

if ! "$PY" -c "import nbval, ipykernel, ipywidgets, IPython" 2>/dev/null; then
  if [ -d "$WHEELS" ]; then
    "$PY" -m pip install --quiet --no-index --find-links "$WHEELS" $TOOLS \
      || echo "note: installing the notebook tools from $WHEELS failed"
  else
    echo "note: no $WHEELS: the slider and book benchmarks need $TOOLS"
  fi
fi

export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export JAX_PLATFORMS="${JAX_PLATFORMS-}"   # empty: JAX takes the GPU when it has one
export PYTHONHASHSEED=0 MPLCONFIGDIR="${MPLCONFIGDIR:-$(mktemp -d)}"
"$PY" - <<'EOF'
import jax, platform
print("python", platform.python_version(), "| jax", jax.__version__, "|", jax.default_backend(),
      "|", [d.device_kind for d in jax.devices()])
try:
    import torch
    print("torch", torch.__version__, "| cuda:", torch.cuda.is_available())
except ImportError:
    print("torch: not installed")
EOF

flags=(--out "$OUT" --book-lax)
[ "${QUICK:-0}" = 1 ] && flags+=(--quick)
status=0
timeout "${BENCH_TIMEOUT:-540}" "$PY" -m benchmarks "${flags[@]}" || status=$?

"$PY" - "$OUT" <<'EOF'
import sys
from benchmarks import report
out = sys.argv[1]
results = report.load(out)
lines = ["# gdlib benchmarks on a GPU machine", ""]
lines += [f"- {report.describe(r)}" for r in results.values() if not r.get("skipped")]
lines += ["", report.markdown_table(list(results.values())), ""]
for r in results.values():
    lines += [f"- {r['title']}: {note}" for note in r["notes"]]
open(f"{out}/report.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
EOF
echo "report: $OUT/report.md (exit status of the benchmarks: $status)"
exit $status
