"""The optimized kernels (runtime_c/src/kernels/opt/) against the reference kernels, on every level.

runtime_c/tests/test_opt_kernels.c compares each optimized kernel with its reference kernel at every kernel
level the CPU supports (on x86: portable, AVX2, AVX-512 in turn). Here it runs natively, under qemu-aarch64
as a Cortex-A53 (NEON, no dotprod) and as `-cpu max`, and under qemu-arm (ARMv7 with NEON), and the levels
it reports having tested are checked against what the CPU offers: the float levels and the int8
micro-kernel levels (portable, AVX2, AVX-512 VNNI; NEON, and dotprod where the CPU has it), int8 compared
byte for byte. Then the interpreter (pyruntime and tl_bench) at every level against the reference kernels
(float within tolerance, int8 bit-exact with trainer/quantize.py), and the memory the packed weights take.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from cbuild import VARIANTS, build, run_test_program, run_tool

from trainer.tlm import ModelBuilder

TARGET = "test_opt_kernels"


def _run(variant: str, prefix_args: tuple[str, ...] = ()) -> str:
    return run_test_program(variant, TARGET, prefix_args)


def _features(output: str) -> dict[str, int]:
    line = re.search(r"features: (.*)", output)
    assert line, output
    return {k: int(v) for k, v in (item.split("=") for item in line.group(1).split())}


def _levels(output: str) -> list[str]:
    return re.findall(r"^level (\w+)$", output, flags=re.MULTILINE)


def _int8_levels(output: str) -> list[str]:
    return re.findall(r"^int8 level (\w+)$", output, flags=re.MULTILINE)


def test_native_every_level() -> None:
    build("native", targets=(TARGET,))
    output = _run("native")
    features = _features(output)
    expected = ["portable"]
    if features["avx2_fma"]:
        expected.append("avx2")
    if features["avx512f"]:
        expected.append("avx512")
    assert _levels(output) == expected, output
    expected8 = ["portable"] + (["avx2"] if features["avx2_fma"] else [])
    if features["avx512f"] and features["avx512vnni"]:
        expected8.append("vnni")
    assert _int8_levels(output) == expected8, output
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():  # detection agrees with the kernel's view of the CPU
        flags = set(re.findall(r"\S+", cpuinfo.read_text().split("flags", 1)[-1].split("\n", 1)[0]))
        assert features["avx2_fma"] == int("avx2" in flags and "fma" in flags)
        assert features["avx512f"] == int("avx512f" in flags)
        assert features["avx512vnni"] == int("avx512f" in flags and "avx512_vnni" in flags)


@pytest.mark.parametrize("cpu,dotprod", [("cortex-a53", 0), ("max", 1)])
def test_aarch64_qemu(cpu: str, dotprod: int) -> None:
    build("aarch64", targets=(TARGET,))
    output = _run("aarch64", ("-cpu", cpu))
    features = _features(output)
    assert features["neon"] == 1 and features["dotprod"] == dotprod, output
    assert _levels(output) == ["portable", "neon"], output
    assert _int8_levels(output) == ["portable", "neon"] + (["sdot"] if dotprod else []), output


def test_armhf_qemu() -> None:
    build("armhf", targets=(TARGET,))
    assert VARIANTS["armhf"].emulator[0] == "qemu-arm"
    output = _run("armhf")
    assert _features(output)["neon"] == 1, output
    assert _levels(output) == ["portable", "neon"], output
    assert _int8_levels(output) == ["portable", "neon"], output


# ---- the optimized kernels inside the interpreter (ops/opt_glue.c) ----

LEVELS = ("reference", "portable", "neon", "avx2", "avx512", "auto")


def _conv_zoo_model() -> tuple[bytes, list[np.ndarray]]:
    """FC, Conv2D and DepthwiseConv2D in every configuration the glue distinguishes: im2col (SAME, VALID,
    strided, dilated), pointwise (1x1 stride 1, batch 2), 1x1 strided, no bias, few output channels (AVX2
    tiles on AVX-512), depthwise with depth_multiplier 1 and 2 (the latter stays on the reference kernel),
    max pool, an FC over a 4-D input, and an FC whose weights are a graph input (also on the reference
    kernel)."""
    rng = np.random.default_rng(7)

    def const(name: str, shape: tuple[int, ...]) -> int:
        return b.add_constant(name, (rng.standard_normal(shape) * 0.3).astype(np.float32))

    b = ModelBuilder(description="conv zoo")
    x = b.add_input("image", np.float32, [2, 13, 11, 3])
    w_in = b.add_input("w_in", np.float32, [5, 37])
    c1 = b.add_tensor("c1", np.float32, [2, 13, 11, 20])
    b.add_op(
        "Conv2D", [x, const("w1", (20, 3, 3, 3)), const("b1", (20,))], [c1], padding="SAME", activation="RELU"
    )
    d1x = b.add_tensor("dw1", np.float32, [2, 13, 11, 20])
    b.add_op(
        "DepthwiseConv2D",
        [c1, const("dw1", (1, 3, 3, 20)), const("db1", (20,))],
        [d1x],
        padding="SAME",
        depth_multiplier=1,
        activation="RELU6",
    )
    d2x = b.add_tensor("dw2", np.float32, [2, 7, 6, 40])  # depth_multiplier 2: stays on the reference kernel
    b.add_op(
        "DepthwiseConv2D",
        [c1, const("dw2", (1, 3, 3, 40))],
        [d2x],
        padding="SAME",
        stride_h=2,
        stride_w=2,
        depth_multiplier=2,
    )
    mp = b.add_tensor("mp", np.float32, [2, 7, 6, 20])
    b.add_op("MaxPool2D", [c1], [mp], padding="SAME", filter_h=3, filter_w=3, stride_h=2, stride_w=2)
    b.mark_output(mp)
    c2 = b.add_tensor("c2", np.float32, [2, 13, 11, 40])
    b.add_op("Conv2D", [d1x, const("w2", (40, 1, 1, 20))], [c2], padding="VALID")
    c3 = b.add_tensor("c3", np.float32, [2, 6, 5, 9])
    b.add_op(
        "Conv2D",
        [c2, const("w3", (9, 3, 2, 40)), const("b3", (9,))],
        [c3],
        padding="VALID",
        stride_h=2,
        stride_w=2,
        dilation_h=1,
        dilation_w=2,
        activation="RELU6",
    )
    c4 = b.add_tensor("c4", np.float32, [2, 3, 3, 33])
    b.add_op(
        "Conv2D",
        [c3, const("w4", (33, 1, 1, 9)), const("b4", (33,))],
        [c4],
        padding="SAME",
        stride_h=2,
        stride_w=2,
    )
    f = b.add_tensor("flat", np.float32, [2, 297])
    b.add_op("Reshape", [c4], [f], new_shape=[2, 297])
    d1 = b.add_tensor("d1", np.float32, [2, 37])
    b.add_op("FullyConnected", [f, const("fw1", (37, 297)), const("fb1", (37,))], [d1], activation="RELU")
    d2 = b.add_tensor("d2", np.float32, [2, 5])
    b.add_op("FullyConnected", [d1, w_in], [d2])
    b.mark_output(c2)
    b.mark_output(d2x)
    b.mark_output(d1)
    b.mark_output(d2)
    inputs = [
        rng.standard_normal((2, 13, 11, 3)).astype(np.float32),
        rng.standard_normal((5, 37)).astype(np.float32),
    ]
    return b.finish(), inputs


def test_interpreter_levels_match_reference() -> None:
    pyruntime = pytest.importorskip("pyruntime")
    data, inputs = _conv_zoo_model()
    want = pyruntime.Interpreter(model_content=data, kernels="reference").run(*inputs)
    for level in LEVELS[1:]:
        got = pyruntime.Interpreter(model_content=data, kernels=level).run(*inputs)
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            err = float(np.max(np.abs(g.astype(np.float64) - w)))
            assert err <= 1e-5 * float(np.max(np.abs(w))), f"{level} output {i}: {err}"
    with pytest.raises(ValueError, match="kernels must be"):
        pyruntime.Interpreter(model_content=data, kernels="fastest")


def test_tools_read_tensorlet_kernels(tmp_path: Path) -> None:
    """tl_bench honours TENSORLET_KERNELS: packed weights are counted in the required memory (never in the
    arena; the arena grows only by the im2col scratch the optimized Conv2D places there), the reference level
    needs none, and an unknown level is refused."""
    build("native", targets=("tl_bench",))
    path = tmp_path / "zoo.tlm"
    path.write_bytes(_conv_zoo_model()[0])
    reports = {}
    for level in ("reference", "portable", "auto"):
        result = run_tool(
            "native",
            "tl_bench",
            [str(path), "--runs", "3", "--warmup", "1"],
            extra_env={"TENSORLET_KERNELS": level},
        )
        assert result.returncode == 0, result.stderr
        reports[level] = dict(line.split(": ", 1) for line in result.stdout.strip().splitlines())
    assert int(reports["reference"]["arena_bytes"]) <= int(reports["auto"]["arena_bytes"])
    # out_c * (k + 1) floats per op with constant weights (before padding to the panel width)
    packed_floats = 20 * 28 + 40 * 21 + 9 * 241 + 33 * 10 + 37 * 298
    for level in ("portable", "auto"):
        extra = int(reports[level]["required_memory_bytes"]) - int(
            reports["reference"]["required_memory_bytes"]
        )
        assert extra >= 4 * packed_floats, (level, extra)
    bad = run_tool(
        "native", "tl_bench", [str(path), "--runs", "1"], extra_env={"TENSORLET_KERNELS": "fastest"}
    )
    assert bad.returncode != 0 and "TENSORLET_KERNELS" in bad.stderr


def _int8_gemm_cases() -> list:
    from int8_op_cases import all_cases

    from trainer.tlm import read_model

    gemm_ops = {"FullyConnected", "Conv2D", "DepthwiseConv2D"}
    return [c for c in all_cases() if any(op.opcode in gemm_ops for op in read_model(c.model).ops)]


def test_int8_interpreter_levels_bit_exact() -> None:
    """Every int8 FullyConnected / Conv2D / DepthwiseConv2D case of int8_op_cases.py at every kernel level
    gives the bytes of trainer/quantize.py (the optimized int8 kernels at each level the CPU has, the
    reference otherwise)."""
    pyruntime = pytest.importorskip("pyruntime")
    from int8_op_cases import check_exact

    cases = _int8_gemm_cases()
    assert len(cases) >= 10
    for case in cases:
        for level in LEVELS:
            interp = pyruntime.Interpreter(model_content=case.model, kernels=level)
            interp.allocate_tensors()
            try:
                check_exact(case, interp.run(*case.inputs))
            except AssertionError as e:
                raise AssertionError(f"kernels={level}: {e}") from None


def test_int8_packed_weights_in_required_memory(tmp_path: Path) -> None:
    """An int8 Conv2D at the portable and auto levels packs its weights (one byte per weight, 8 bytes per
    output channel of corrections, plus the im2col scratch) into the required memory; the reference needs
    none."""
    build("native", targets=("tl_bench",))
    case = next(c for c in _int8_gemm_cases() if c.name.startswith("conv8_3x3_same"))
    path = tmp_path / "conv8.tlm"
    path.write_bytes(case.model)
    from trainer.tlm import read_model

    model = read_model(case.model)
    w = next(t for t in model.tensors if t.data is not None and len(t.shape) == 4)
    out_c, k = int(w.shape[0]), int(np.prod(w.shape[1:]))
    required = {}
    for level in ("reference", "portable", "auto"):
        args = [str(path), "--runs", "3", "--warmup", "1"]
        result = run_tool("native", "tl_bench", args, extra_env={"TENSORLET_KERNELS": level})
        assert result.returncode == 0, result.stderr
        report = dict(line.split(": ", 1) for line in result.stdout.strip().splitlines())
        required[level] = int(report["required_memory_bytes"])
    for level in ("portable", "auto"):
        assert required[level] - required["reference"] >= out_c * (k + 8), (level, required)
