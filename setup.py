"""setuptools shim: everything else is in pyproject.toml; this only adds the cffi extension of pyruntime.

Development install (re-run after changing runtime_c/ sources so the extension is rebuilt):
    .venv/bin/pip install -e . --no-build-isolation      (setuptools>=77 in the venv: `make` upgrades it)
"""

from setuptools import setup

setup(cffi_modules=["pyruntime/_build.py:ffibuilder"])
