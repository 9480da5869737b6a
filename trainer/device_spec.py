"""TensorFlow device strings: parse, merge and print ``/job:worker/replica:0/task:1/device:GPU:0``.

A :class:`DeviceSpec` has five optional fields (job, replica, task, device type, device index). Every
spelling TF1 accepts parses: ``"/gpu:0"``, ``"/cpu:1"``, ``"/device:CPU:0"``, ``"/job:worker/task:1"``,
``"/job:worker/task:1/device:GPU:0"``, ``"GPU:0"``, with ``*`` for "any index". Merging fills the fields an
inner ``tf.device`` scope leaves open from the outer one (the inner spec wins field by field).

>>> from trainer.device_spec import DeviceSpec
>>> DeviceSpec.from_string("/gpu:1").to_string()
'/device:GPU:1'
>>> outer = DeviceSpec.from_string("/job:worker/task:1")
>>> outer.make_merged_spec(DeviceSpec.from_string("/cpu:0")).to_string()
'/job:worker/task:1/device:CPU:0'
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from trainer.errors import InvalidArgumentError

DEVICE_TYPES = ("CPU", "GPU")


def _int_field(spec: str, key: str, val: str) -> int | None:
    if val == "*":
        return None
    if not val.isdigit():
        raise InvalidArgumentError(f"device specification {spec!r}: {key} must be a number, got {val!r}")
    return int(val)


@dataclass(frozen=True)
class DeviceSpec:
    """A (possibly partial) device name. None means "not specified"."""

    job: str | None = None
    replica: int | None = None
    task: int | None = None
    device_type: str | None = None
    device_index: int | None = None

    @staticmethod
    def from_string(spec: str | None) -> DeviceSpec:
        """Parse a TF device string; raises InvalidArgumentError naming the string when it is malformed."""
        if not spec:
            return DeviceSpec()
        if isinstance(spec, DeviceSpec):
            return spec
        fields: dict[str, object] = {}
        parts = [p for p in str(spec).strip().split("/") if p]
        for part in parts:
            key, sep, val = part.partition(":")
            low = key.lower()
            if low == "job" and sep and val:
                fields["job"] = val
            elif low in ("replica", "task") and sep and val:
                fields[low] = _int_field(spec, low, val)
            elif low == "device" and sep:
                dtype, _, idx = val.partition(":")
                if dtype.upper() not in DEVICE_TYPES:
                    raise InvalidArgumentError(
                        f"device specification {spec!r}: unknown device type {dtype!r}"
                    )
                fields["device_type"] = dtype.upper()
                fields["device_index"] = _int_field(spec, "device index", idx) if idx else None
            elif low in ("cpu", "gpu"):
                fields["device_type"] = low.upper()
                fields["device_index"] = _int_field(spec, "device index", val) if sep and val else None
            else:
                raise InvalidArgumentError(
                    f"cannot parse device specification {spec!r} (expected e.g. '/cpu:0', '/gpu:1', "
                    "'/device:GPU:0', '/job:worker/task:1/device:CPU:0')"
                )
        return DeviceSpec(**fields)  # type: ignore[arg-type]

    def make_merged_spec(self, inner: DeviceSpec) -> DeviceSpec:
        """This spec with every field that ``inner`` specifies replaced by ``inner``'s value. A new device
        type without an index drops the outer index (``/gpu:1`` then ``/cpu`` is ``/cpu``, not ``/cpu:1``)."""
        job = inner.job if inner.job is not None else self.job
        replica = inner.replica if inner.replica is not None else self.replica
        task = inner.task if inner.task is not None else self.task
        if inner.device_type is not None:
            dtype, idx = inner.device_type, inner.device_index
            if idx is None and inner.device_type == self.device_type:
                idx = self.device_index
        else:
            dtype, idx = self.device_type, self.device_index
        return DeviceSpec(job, replica, task, dtype, idx)

    def replace(self, **changes: object) -> DeviceSpec:
        return replace(self, **changes)  # type: ignore[arg-type]

    def is_empty(self) -> bool:
        return self == DeviceSpec()

    def to_string(self) -> str:
        parts = []
        if self.job is not None:
            parts.append(f"job:{self.job}")
        if self.replica is not None:
            parts.append(f"replica:{self.replica}")
        if self.task is not None:
            parts.append(f"task:{self.task}")
        if self.device_type is not None:
            idx = "*" if self.device_index is None else str(self.device_index)
            parts.append(f"device:{self.device_type}:{idx}")
        return "/" + "/".join(parts) if parts else ""

    def __str__(self) -> str:
        return self.to_string()


def canonical_name(job: str, task: int, device_type: str, index: int) -> str:
    """The full name of a concrete device: ``/job:localhost/replica:0/task:0/device:CPU:0``."""
    return f"/job:{job}/replica:0/task:{task}/device:{device_type}:{index}"


def merge_device_strings(outer: str, inner: str) -> str:
    """Merge two device strings as nested ``tf.device`` scopes do (the inner one wins field by field)."""
    return DeviceSpec.from_string(outer).make_merged_spec(DeviceSpec.from_string(inner)).to_string()


def canonicalize(spec: str) -> str:
    """A device string in canonical spelling (``"/gpu:0"`` becomes ``"/device:GPU:0"``)."""
    return DeviceSpec.from_string(spec).to_string()
