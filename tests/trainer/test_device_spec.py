"""Device strings: every TF1 spelling parses, prints canonically and merges field by field."""

from __future__ import annotations

import pytest

from trainer.device_spec import DeviceSpec, canonical_name, canonicalize, merge_device_strings
from trainer.errors import InvalidArgumentError


@pytest.mark.parametrize(
    ("spec", "fields"),
    [
        ("/gpu:0", (None, None, None, "GPU", 0)),
        ("/cpu:1", (None, None, None, "CPU", 1)),
        ("/CPU:3", (None, None, None, "CPU", 3)),
        ("/device:CPU:0", (None, None, None, "CPU", 0)),
        ("/device:gpu:2", (None, None, None, "GPU", 2)),
        ("/job:worker/task:1", ("worker", None, 1, None, None)),
        ("/job:worker/task:1/device:GPU:0", ("worker", None, 1, "GPU", 0)),
        ("/job:ps/replica:2/task:0/cpu:0", ("ps", 2, 0, "CPU", 0)),
        ("/job:worker/replica:0/task:3/device:CPU:*", ("worker", 0, 3, "CPU", None)),
        ("GPU:1", (None, None, None, "GPU", 1)),
        ("/cpu", (None, None, None, "CPU", None)),
        ("", (None, None, None, None, None)),
    ],
)
def test_parse(spec: str, fields: tuple) -> None:
    d = DeviceSpec.from_string(spec)
    assert (d.job, d.replica, d.task, d.device_type, d.device_index) == fields
    # Printing and parsing again is a fixed point.
    assert DeviceSpec.from_string(d.to_string()) == d


def test_canonical_spelling() -> None:
    assert canonicalize("/gpu:0") == "/device:GPU:0"
    assert canonicalize("/job:worker/task:1/cpu:2") == "/job:worker/task:1/device:CPU:2"
    assert canonical_name("worker", 3, "CPU", 1) == "/job:worker/replica:0/task:3/device:CPU:1"


@pytest.mark.parametrize(
    ("outer", "inner", "merged"),
    [
        ("/job:worker/task:1", "/gpu:0", "/job:worker/task:1/device:GPU:0"),
        ("/job:worker/task:1/cpu:0", "/task:2", "/job:worker/task:2/device:CPU:0"),
        ("/cpu:0", "/device:CPU:1", "/device:CPU:1"),
        ("/gpu:1", "/cpu", "/device:CPU:*"),
        ("/gpu:1", "/job:ps", "/job:ps/device:GPU:1"),
        ("", "/cpu:2", "/device:CPU:2"),
        ("/cpu:2", "", "/device:CPU:2"),
    ],
)
def test_merge_inner_wins_field_by_field(outer: str, inner: str, merged: str) -> None:
    assert merge_device_strings(outer, inner) == merged


@pytest.mark.parametrize("bad", ["/tpu:0", "/cpu:x", "/task:one", "/foo:1", "/device:FPGA:0", "/job"])
def test_malformed_strings_name_the_string(bad: str) -> None:
    with pytest.raises(InvalidArgumentError, match="device specification"):
        DeviceSpec.from_string(bad)


@pytest.mark.parametrize(
    "module",
    ["trainer.device_spec", "trainer.placement", "trainer.rendezvous", "trainer.session", "trainer.backend"],
)
def test_docstring_examples_run(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0
