"""Cross-architecture parity: tl_run built for aarch64 and armhf (run under qemu) against the native runtime
and an independent numpy formula, on an MLP, a small CNN and a broadcasting/data-movement model; and the
int8 op cases of tests/int8_op_cases.py, which must match their numpy reference bit for bit on every target.

Every output must satisfy max|got - numpy| <= 1e-5 * max|numpy| on every target, and the native runtime
(pyruntime when importable, else native tl_run) must satisfy the same bound.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import int8_op_cases
import numpy as np
import pytest
import runtime_refs as ref
from cbuild import build, run_tool

from trainer.tlm import ModelBuilder

REL_TOL = 1e-5


@dataclass
class ParityModel:
    data: bytes
    inputs: list[np.ndarray]
    reference: Callable[..., list[np.ndarray]]  # float64 numpy formula, inputs -> outputs


# ---- models ----


def mlp_model() -> ParityModel:
    rng = np.random.default_rng(101)
    sizes = [784, 256, 256, 10]
    ws = [
        (rng.standard_normal((o, i)) / np.sqrt(i)).astype(np.float32)
        for i, o in zip(sizes, sizes[1:], strict=False)
    ]
    bs = [(rng.standard_normal(o) * 0.1).astype(np.float32) for o in sizes[1:]]
    b = ModelBuilder(description="mlp 784-256-256-10")
    t = b.add_input("image", np.float32, [4, 784])
    for k, (w, bias) in enumerate(zip(ws, bs, strict=True)):
        out = b.add_tensor(f"dense_{k}", np.float32, [4, w.shape[0]])
        act = "RELU" if k < 2 else "NONE"
        b.add_op(
            "FullyConnected",
            [t, b.add_constant(f"w{k}", w), b.add_constant(f"b{k}", bias)],
            [out],
            activation=act,
        )
        t = out
    probs = b.add_tensor("probs", np.float32, [4, 10])
    b.add_op("Softmax", [t], [probs])
    b.mark_output(t)
    b.mark_output(probs)

    def reference(x):
        h = x
        for k, (w, bias) in enumerate(zip(ws, bs, strict=True)):
            h = ref.fully_connected(h, w, bias, "RELU" if k < 2 else "NONE")
        return [h, ref.softmax(h)]

    x = rng.random((4, 784), dtype=np.float32)
    return ParityModel(b.finish(), [x], reference)


def cnn_model() -> ParityModel:
    rng = np.random.default_rng(102)
    cw = (rng.standard_normal((8, 3, 3, 3)) * 0.3).astype(np.float32)
    cb = (rng.standard_normal(8) * 0.1).astype(np.float32)
    dw = (rng.standard_normal((1, 3, 3, 16)) * 0.3).astype(np.float32)
    db = (rng.standard_normal(16) * 0.1).astype(np.float32)
    fw = (rng.standard_normal((10, 16)) * 0.5).astype(np.float32)
    fb = (rng.standard_normal(10) * 0.1).astype(np.float32)
    b = ModelBuilder(description="small cnn")
    x = b.add_input("image", np.float32, [2, 12, 12, 3])
    c = b.add_tensor("conv", np.float32, [2, 6, 6, 8])
    b.add_op(
        "Conv2D",
        [x, b.add_constant("cw", cw), b.add_constant("cb", cb)],
        [c],
        padding="SAME",
        stride_h=2,
        stride_w=2,
        activation="RELU",
    )
    d = b.add_tensor("dw", np.float32, [2, 6, 6, 16])
    b.add_op(
        "DepthwiseConv2D",
        [c, b.add_constant("dw", dw), b.add_constant("db", db)],
        [d],
        padding="SAME",
        dilation_h=2,
        dilation_w=2,
        depth_multiplier=2,
        activation="RELU6",
    )
    a = b.add_tensor("avgpool", np.float32, [2, 3, 3, 16])
    b.add_op("AveragePool2D", [d], [a], padding="VALID", filter_h=2, filter_w=2, stride_h=2, stride_w=2)
    m = b.add_tensor("maxpool", np.float32, [2, 2, 2, 16])
    b.add_op("MaxPool2D", [a], [m], padding="VALID", filter_h=2, filter_w=2)
    r = b.add_tensor("mean", np.float32, [2, 1, 1, 16])
    b.add_op("Mean", [m], [r], axes=[1, -2], keep_dims=True)
    f = b.add_tensor("flat", np.float32, [2, 16])
    b.add_op("Reshape", [r], [f], new_shape=[2, 16])
    logits = b.add_tensor("logits", np.float32, [2, 10])
    b.add_op("FullyConnected", [f, b.add_constant("fw", fw), b.add_constant("fb", fb)], [logits])
    probs = b.add_tensor("probs", np.float32, [2, 10])
    b.add_op("Softmax", [logits], [probs])
    b.mark_output(logits)
    b.mark_output(probs)

    def reference(image):
        h = ref.conv2d(image, cw, cb, stride=(2, 2), activation="RELU")
        h = ref.depthwise_conv2d(h, dw, db, dilation=(2, 2), depth_multiplier=2, activation="RELU6")
        h = ref.average_pool2d(h, (2, 2), (2, 2))
        h = ref.max_pool2d(h, (2, 2), (1, 1))
        h = h.mean(axis=(1, 2))
        out = ref.fully_connected(h, fw, fb)
        return [out, ref.softmax(out)]

    image = rng.standard_normal((2, 12, 12, 3)).astype(np.float32)
    return ParityModel(b.finish(), [image], reference)


def shapes_model() -> ParityModel:
    rng = np.random.default_rng(103)
    k = rng.standard_normal((1, 4)).astype(np.float32)
    b = ModelBuilder(description="broadcast and movement")
    a = b.add_input("a", np.float32, [2, 3, 4])
    c = b.add_input("c", np.float32, [3, 1])
    s = b.add_tensor("sum", np.float32, [2, 3, 4])
    b.add_op("Add", [a, c], [s])
    m = b.add_tensor("prod", np.float32, [2, 3, 4])
    b.add_op("Mul", [s, b.add_constant("k", k)], [m], activation="RELU")
    d = b.add_tensor("diff", np.float32, [2, 3, 4])
    b.add_op("Sub", [m, c], [d])
    cat = b.add_tensor("cat", np.float32, [2, 3, 8])
    b.add_op("Concatenation", [d, m], [cat], axis=-1)
    pad = b.add_tensor("pad", np.float32, [3, 5, 9])
    b.add_op("Pad", [cat], [pad], paddings=[1, 0, 1, 1, 0, 1])
    t = b.add_tensor("transpose", np.float32, [9, 3, 5])
    b.add_op("Transpose", [pad], [t], perm=[2, 0, 1])
    r = b.add_tensor("reshape", np.float32, [27, 5])
    b.add_op("Reshape", [t], [r], new_shape=[-1, 5])
    th = b.add_tensor("tanh", np.float32, [27, 5])
    b.add_op("Tanh", [r], [th])
    sg = b.add_tensor("sigmoid", np.float32, [27, 5])
    b.add_op("Sigmoid", [r], [sg])
    b.mark_output(th)
    b.mark_output(sg)
    b.mark_output(cat)

    def reference(a_in, c_in):
        a64, c64 = a_in.astype(np.float64), c_in.astype(np.float64)
        prod = ref.relu((a64 + c64) * k)
        cat_ = np.concatenate([prod - c64, prod], axis=-1)
        padded = np.pad(cat_, ((1, 0), (1, 1), (0, 1)))
        reshaped = padded.transpose(2, 0, 1).reshape(-1, 5)
        return [np.tanh(reshaped), 1 / (1 + np.exp(-reshaped)), cat_]

    inputs = [
        rng.standard_normal((2, 3, 4)).astype(np.float32),
        rng.standard_normal((3, 1)).astype(np.float32),
    ]
    return ParityModel(b.finish(), inputs, reference)


MODELS = {"mlp": mlp_model, "cnn": cnn_model, "shapes": shapes_model}


def _check(got: list[np.ndarray], want: list[np.ndarray], what: str) -> None:
    assert len(got) == len(want), f"{what}: {len(got)} outputs, want {len(want)}"
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        assert g.shape == w.shape and g.dtype == np.float32, (
            f"{what} output {i}: {g.dtype}{g.shape} vs {w.shape}"
        )
        err = float(np.max(np.abs(g.astype(np.float64) - w)))
        bound = REL_TOL * float(np.max(np.abs(w)))
        assert err <= bound, f"{what} output {i}: max abs error {err:.3g} > {bound:.3g}"


def _tl_run(variant: str, model: ParityModel, directory: Path, n_outputs: int) -> list[np.ndarray]:
    directory.mkdir(exist_ok=True)
    path = directory / "model.tlm"
    path.write_bytes(model.data)
    args = [str(path)]
    for i, x in enumerate(model.inputs):
        np.save(directory / f"in{i}.npy", x)
        args += ["--input", f"{i}={directory / f'in{i}.npy'}"]
    for i in range(n_outputs):
        args += ["--output", f"{i}={directory / f'out{i}.npy'}"]
    result = run_tool(variant, "tl_run", args)
    assert result.returncode == 0, f"tl_run ({variant}) failed:\n{result.stdout}\n{result.stderr}"
    return [np.load(directory / f"out{i}.npy") for i in range(n_outputs)]


@pytest.fixture(scope="module", params=list(MODELS))
def parity(request: pytest.FixtureRequest) -> tuple[str, ParityModel, list[np.ndarray]]:
    model = MODELS[request.param]()
    return request.param, model, model.reference(*model.inputs)


def test_native_matches_numpy(parity, tmp_path: Path) -> None:
    name, model, want = parity
    try:
        from pyruntime import Interpreter
    except ImportError:  # pyruntime not built: fall back to the native tool
        build("native", targets=("tl_run",))
        got = _tl_run("native", model, tmp_path, len(want))
    else:
        got = Interpreter(model_content=model.data).run(*model.inputs)
    _check(got, want, f"{name} native")


@pytest.mark.parametrize("variant", ["aarch64", "armhf"])
def test_cross_matches_numpy_and_native(variant: str, parity, tmp_path: Path) -> None:
    name, model, want = parity
    build(variant, targets=("tl_run",))
    got = _tl_run(variant, model, tmp_path / variant, len(want))
    _check(got, want, f"{name} {variant}")
    build("native", targets=("tl_run",))
    native = _tl_run("native", model, tmp_path / "native", len(want))
    for i, (g, n) in enumerate(zip(got, native, strict=True)):
        bound = REL_TOL * float(np.max(np.abs(n)))
        err = float(np.max(np.abs(g.astype(np.float64) - n)))
        assert err <= bound, f"{name} {variant} vs native output {i}: {err:.3g} > {bound:.3g}"


@pytest.mark.parametrize("variant", ["aarch64", "armhf"])
def test_cross_tl_bench(variant: str, tmp_path: Path) -> None:
    """tl_bench runs on the device builds and reports the same arena as the native build."""
    path = tmp_path / "mlp.tlm"
    path.write_bytes(mlp_model().data)
    reports = {}
    for v in (variant, "native"):
        build(v, targets=("tl_bench",))
        result = run_tool(v, "tl_bench", [str(path), "--runs", "3", "--warmup", "1"])
        assert result.returncode == 0, f"tl_bench ({v}):\n{result.stdout}\n{result.stderr}"
        reports[v] = dict(line.split(": ", 1) for line in result.stdout.strip().splitlines())
    for key in ("model_bytes", "arena_bytes", "required_memory_bytes"):
        assert int(reports[variant][key]) > 0
    assert reports[variant]["model_bytes"] == reports["native"]["model_bytes"] == str(path.stat().st_size)
    assert reports[variant]["arena_bytes"] == reports["native"]["arena_bytes"]
    assert 0 < float(reports[variant]["min_us"]) <= float(reports[variant]["p90_us"])


@pytest.mark.parametrize("variant", ["native", "aarch64", "armhf"])
def test_int8_bit_exact_on_every_target(variant: str, tmp_path: Path) -> None:
    """DESIGN: int8 kernels match the numpy reference bit for bit on every target (int8_op_cases.py)."""
    build(variant, targets=("tl_run",))
    cases = int8_op_cases.all_cases()
    assert len(cases) > 50

    def run(i: int) -> list[np.ndarray]:
        case = cases[i]
        model = ParityModel(case.model, list(case.inputs), lambda *_: [])
        return _tl_run(variant, model, tmp_path / f"case{i}", len(case.expected))

    with ThreadPoolExecutor(2) as pool:  # the tool runs (under qemu for ARM) two at a time
        for case, got in zip(cases, pool.map(run, range(len(cases))), strict=True):
            int8_op_cases.check_exact(case, got)
