"""setuptools shim: everything else is in pyproject.toml; this only adds the cffi extension of pyruntime.

Development install (re-run after changing runtime_c/ sources so the extension is rebuilt):
    .venv/bin/pip install -e . --no-build-isolation      (setuptools>=77 in the venv: `make` upgrades it)
"""

import importlib.util
import sys
from pathlib import Path

from setuptools import setup

# pyruntime/_build.py by path (importing the package would need the extension built already)
_path = Path(__file__).resolve().parent / "pyruntime" / "_build.py"
_spec = importlib.util.spec_from_file_location("_tl_build", _path)
_build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_build)
if not {"sdist", "egg_info", "dist_info"} & set(sys.argv):  # building the extension: say what is missing
    _build.check_build_tools()  # one line when python3-dev or a C compiler is missing

# the C sources compile concurrently, one compiler per core (TENSORLET_BUILD_JOBS to choose)
setup(cffi_modules=["pyruntime/_build.py:ffibuilder"], cmdclass={"build_ext": _build.parallel_build_ext()})
