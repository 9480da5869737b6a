#!/usr/bin/env bash
# One-shot GPU check of tensorlet's CuPy backend, for a machine with an NVIDIA GPU. Prints everything.
#
#   bash scripts/gpu_check.sh            # from the repository root; BUDGET=seconds for the benchmark (240)
#
# 1. finds a Python with numpy and pytest (PY=..., else .venv/bin/python, else python3);
# 2. makes CuPy importable: already installed (any cupy-cudaXXx), else, where nvidia-smi exists,
#    `pip install cupy-cuda12x`, else wheels carried in .whl/ (offline machines: see docs/gpu.md);
# 3. runs the gpu-marked tests (op parity CPU vs GPU for every op, fused optimizer updates, a short CNN
#    training) and the emulation tests, which must pass with the real CuPy installed too;
# 4. runs benchmarks/gpu_train.py (CPU vs GPU epoch time of the benchmark MLP and CNN, PyTorch on the GPU
#    when installed) within the time budget.
# Exit status: that of the tests (the benchmark only reports).
set -u
cd "$(dirname "$0")/.."
BUDGET=${BUDGET:-240}
if [ -z "${PY:-}" ]; then
  if [ -x .venv/bin/python ] && .venv/bin/python -c "import numpy, pytest" 2>/dev/null; then PY=.venv/bin/python; else PY=python3; fi
fi
echo "== python: $PY ($($PY -c 'import sys, numpy; print(sys.version.split()[0], "numpy", numpy.__version__)'))"
echo "== nvidia-smi"; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 || echo "(no nvidia-smi)"
if ! $PY -c "import cupy" 2>/dev/null && command -v nvidia-smi >/dev/null; then  # no GPU: install nothing
  echo "== installing CuPy"
  $PY -m pip install -q "cupy-cuda12x>=13" 2>&1 | tail -2 \
    || { [ -d .whl ] && $PY -m pip install -q --no-index --find-links .whl cupy-cuda12x 2>&1 | tail -2; }
fi
echo "== cupy"
$PY - <<'PYEOF'
try:
    import cupy
    n = cupy.cuda.runtime.getDeviceCount()
    print("cupy", cupy.__version__, "devices", n, "CUDA runtime", cupy.cuda.runtime.runtimeGetVersion())
except Exception as e:  # noqa: BLE001
    print("cupy unusable:", type(e).__name__, e)
PYEOF
echo "== gpu tests"
PYTHONUNBUFFERED=1 $PY -m pytest -p no:cacheprovider -q -rs -m gpu tests/trainer/test_gpu.py
rc=$?
echo "== emulation tests (with the real CuPy importable)"
PYTHONUNBUFFERED=1 $PY -m pytest -p no:cacheprovider -q tests/trainer/test_gpu_fake.py
rc2=$?
echo "== benchmark (budget ${BUDGET}s)"
PYTHONUNBUFFERED=1 timeout "$BUDGET" $PY benchmarks/gpu_train.py --seconds 12 --cpu-steps 10 || echo "(benchmark stopped: status $?)"
echo "== gpu tests: status $rc; emulation tests: status $rc2"
[ "$rc" -eq 0 ] && [ "$rc2" -eq 0 ]
