# tensorlet: the two commands of the README are `make demo` (the main job) and `make test` (every test).
# Both create the virtual environment .venv on first use and reinstall the package when the C runtime or the
# packaging changes (pyruntime compiles runtime_c/ into a cffi extension at install time). `make demo`
# installs only what the demo needs (the package and its `demo` extra); `make test` and `make venv` (CI) add
# the `test` and `mpi` extras (toolchains, ziglang, tensorboard, MPICH: several hundred MB).

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
C_SOURCES := $(shell find runtime_c/src runtime_c/include -name '*.[ch]' 2>/dev/null)
STAMP := $(VENV)/.tensorlet-installed
DEMO_STAMP := $(VENV)/.tensorlet-demo-installed

.PHONY: demo test venv lint cross sanitize bench size clean help

help:
	@echo "make demo      train, export and run the MNIST demo on the C runtime (the main job)"
	@echo "make test      run every test: Python; C with gcc, clang, ASan+UBSan; ARM under qemu; Cortex-M4; MPI"
	@echo "make lint      ruff over the Python sources"
	@echo "make bench     list the benchmark scripts (see benchmarks/README.md)"
	@echo "make size      code size (text/data/bss) of the runtime per target, core/ops/selective (docs/embedded.md)"
	@echo "make clean     remove build directories (keeps .venv)"

venv: $(STAMP)

$(STAMP): pyproject.toml setup.py $(C_SOURCES)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip setuptools
	$(PIP) install -q -e '.[test,demo,mpi]'
	touch $@ $(DEMO_STAMP)

$(DEMO_STAMP): pyproject.toml setup.py $(C_SOURCES)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip setuptools
	$(PIP) install -q -e '.[demo]'
	touch $@

# tl_bench (the C benchmark the demo times the model with) needs CMake; without it the demo says so and runs.
demo: $(DEMO_STAMP)
	@export PATH="$(CURDIR)/$(VENV)/bin:$$PATH"; if command -v cmake >/dev/null; then \
	  echo "building tl_bench (build/demo) ..."; \
	  cmake -S runtime_c -B build/demo -DCMAKE_BUILD_TYPE=Release -DTL_BUILD_TESTS=OFF >/dev/null && \
	  cmake --build build/demo -j2 >/dev/null; \
	else echo "no cmake: tl_bench not built (apt install cmake, or $(PIP) install cmake)"; fi
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) examples/mnist/deploy.py

# One BLAS thread: on a 2-core machine the tests themselves run processes side by side, and OpenBLAS
# threads fighting over the cores made training steps several times slower.
# Two pytest-xdist workers (TEST_WORKERS=N to choose, 0 for one process): most tests are single-threaded
# Python, so one pytest process left a core idle; each test file runs whole on one worker, the long ones
# first (tests/conftest.py), and shared build folders are locked (tests/cbuild.py).
TEST_WORKERS ?= 2
test: $(STAMP)
	OPENBLAS_NUM_THREADS=$${OPENBLAS_NUM_THREADS:-1} PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m pytest -q -ra --durations=25 -n $(TEST_WORKERS)

lint: $(STAMP)
	$(VENV)/bin/ruff check trainer pyruntime tests examples benchmarks

bench:
	@echo "Benchmarks are separate scripts, each documented in benchmarks/README.md:"
	@ls benchmarks/*.py

size: $(STAMP)
	$(PY) runtime_c/tools/size_report.py

clean:
	rm -rf build build-*
