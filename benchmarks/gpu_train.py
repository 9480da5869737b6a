"""Seconds per Fashion-MNIST-sized training epoch: tensorlet on the CPU and on the GPU, PyTorch on the GPU.

The models, batch (128), optimizer (Adam 1e-3) and loss are those of ``benchmarks/trainer_epoch.py``:

  mlp  784-256-256-10 (ReLU)
  cnn  conv3x3x32-maxpool-conv3x3x64-maxpool-dense128-dense10 (ReLU, SAME convs, 2x2 pools)

Each run builds the model under ``tf.device(...)``, trains a few warm-up steps (CuPy compiles its kernels
then), and times steps until ``--steps`` are done or ``--seconds`` have passed; the epoch time is the
median step time x 469 (60,000 images / 128). Every step feeds a host batch and fetches the loss, as a
training loop does, for tensorlet and PyTorch alike (PyTorch copies the batch with ``.to(device)`` and reads
``loss.item()``). Data are synthetic (uniform images, random labels) unless ``--data`` names a Fashion-MNIST
folder. Without CuPy or a CUDA device the GPU rows say why and are skipped.

    python3 benchmarks/gpu_train.py                       # all rows that can run here
    python3 benchmarks/gpu_train.py --models cnn --seconds 20 --devices gpu,torch
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import Any

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

BATCH = 128
LR = 1e-3
STEPS_PER_EPOCH = 60000 // BATCH + 1  # 469, the last batch partial


def build_tensorlet(model: str, device: str, seed: int = 0) -> Any:
    """A ``step(x, y) -> loss`` closure training ``model`` with every op on ``device``."""
    import trainer as tf

    g = tf.Graph()
    with g.as_default(), tf.device(device):
        tf.set_random_seed(seed)
        if model == "mlp":
            x = tf.placeholder(tf.float32, [None, 784], name="x")
            layers = [
                tf.layers.Dense(256, activation=tf.nn.relu),
                tf.layers.Dense(256, activation=tf.nn.relu),
                tf.layers.Dense(10),
            ]
        else:
            x = tf.placeholder(tf.float32, [None, 28, 28, 1], name="x")
            layers = [
                tf.layers.Conv2D(32, 3, padding="same", activation=tf.nn.relu),
                tf.layers.MaxPool2D(2, 2),
                tf.layers.Conv2D(64, 3, padding="same", activation=tf.nn.relu),
                tf.layers.MaxPool2D(2, 2),
                tf.layers.Flatten(),
                tf.layers.Dense(128, activation=tf.nn.relu),
                tf.layers.Dense(10),
            ]
        y = tf.placeholder(tf.int32, [None], name="y")
        logits = tf.layers.Sequential(layers)(x, training=True)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        train_op = tf.train.AdamOptimizer(LR).minimize(loss)
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
    fetches = [train_op, loss]

    def step(xb: np.ndarray, yb: np.ndarray) -> float:
        return float(sess.run(fetches, {x: xb, y: yb})[1])  # the fetch waits for the GPU

    return step


def build_torch(model: str, seed: int = 0) -> Any:
    import torch
    from torch import nn

    dev = torch.device("cuda")
    torch.manual_seed(seed)
    if model == "mlp":
        net = nn.Sequential(
            nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)
        )
    else:
        net = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10),
        )  # fmt: skip
    net = net.to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss()

    def step(xb: np.ndarray, yb: np.ndarray) -> float:
        xt = torch.from_numpy(xb).to(dev)
        if model == "cnn":
            xt = xt.permute(0, 3, 1, 2)  # NHWC -> NCHW, as a user feeding the same arrays would
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(xt), torch.from_numpy(yb).to(dev).long())
        loss.backward()
        opt.step()
        return float(loss.item())

    return step


def data(model: str, path: str | None) -> tuple[np.ndarray, np.ndarray]:
    if path:
        from trainer import datasets

        (xtr, ytr), _ = datasets.fashion_mnist(path)
        x, y = datasets.normalize(xtr), ytr.astype(np.int32)
    else:
        rng = np.random.default_rng(0)
        x = rng.uniform(0, 1, (8192, 28, 28)).astype(np.float32)
        y = rng.integers(0, 10, 8192).astype(np.int32)
    x = x.reshape(-1, 784) if model == "mlp" else x.reshape(-1, 28, 28, 1)
    return np.ascontiguousarray(x), y


def gpu_status() -> str | None:
    """None when tensorlet can use a GPU here, else the reason it cannot."""
    try:
        import cupy
    except ImportError:
        return "CuPy is not installed"
    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:  # noqa: BLE001
        return f"CuPy finds no usable CUDA device ({type(e).__name__})"
    return None if n > 0 else "no CUDA device"


def torch_status() -> str | None:
    try:
        import torch
    except ImportError:
        return "PyTorch is not installed"
    return None if torch.cuda.is_available() else "PyTorch sees no CUDA device"


def time_steps(
    step: Any, x: np.ndarray, y: np.ndarray, warmup: int, steps: int, seconds: float
) -> list[float]:
    n = len(x) // BATCH
    order = np.random.default_rng(1).permutation(n)
    k = 0

    def batch() -> tuple[np.ndarray, np.ndarray]:
        nonlocal k
        i = order[k % n] * BATCH
        k += 1
        return x[i : i + BATCH], y[i : i + BATCH]

    for _ in range(warmup):
        step(*batch())
    times: list[float] = []
    t_end = time.perf_counter() + seconds
    while len(times) < steps and time.perf_counter() < t_end:
        xb, yb = batch()
        t0 = time.perf_counter()
        step(xb, yb)
        times.append(time.perf_counter() - t0)
    return times


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", default="mlp,cnn")
    p.add_argument(
        "--devices", default="cpu,gpu,torch", help="subset of cpu (tensorlet), gpu (tensorlet), torch"
    )
    p.add_argument("--steps", type=int, default=200, help="timed steps per row at most")
    p.add_argument("--cpu-steps", type=int, default=20, help="timed steps per CPU row at most")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--seconds", type=float, default=15.0, help="time limit per row")
    p.add_argument("--data", default=None, help="Fashion-MNIST folder (default: synthetic data)")
    p.add_argument(
        "--emulate", action="store_true", help="run /gpu:0 on the CuPy test double (tests this script)"
    )
    args = p.parse_args()
    if args.emulate:  # the CuPy test double: numpy underneath, timings mean nothing
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "trainer"))
        import fake_cupy

        from trainer.ops import training

        sys.modules["cupy"], sys.modules["cupyx"] = fake_cupy, fake_cupy.cupyx
        for f in training.FUSED_UPDATES.values():
            fake_cupy.register_twin(f.name, f.twin)
        print("EMULATED GPU (fake_cupy): the /gpu:0 rows run numpy; their timings mean nothing")

    why_not = {"cpu": None, "gpu": gpu_status(), "torch": torch_status()}
    if why_not["gpu"] is None and not args.emulate:
        import cupy

        name = cupy.cuda.runtime.getDeviceProperties(0)["name"]
        name = name.decode() if isinstance(name, bytes) else name
        print(f"GPU 0: {name}, CuPy {cupy.__version__}")
    print(f"{'model':5} {'runs on':24} {'steps':>5} {'ms/step':>9} {'s/epoch':>9}  note")
    results: dict[tuple[str, str], float] = {}
    for model in args.models.split(","):
        x, y = data(model, args.data)
        for dev in args.devices.split(","):
            label = {"cpu": "tensorlet /cpu:0", "gpu": "tensorlet /gpu:0", "torch": "PyTorch cuda"}[dev]
            if why_not[dev] is not None:
                print(f"{model:5} {label:24} {'-':>5} {'-':>9} {'-':>9}  skipped: {why_not[dev]}")
                continue
            step = build_torch(model) if dev == "torch" else build_tensorlet(model, f"/{dev}:0")
            limit = args.cpu_steps if dev == "cpu" else args.steps
            times = time_steps(step, x, y, args.warmup, limit, args.seconds)
            med = statistics.median(times)
            results[(model, dev)] = med * STEPS_PER_EPOCH
            note = "extrapolated from timed steps"
            if dev == "gpu" and (model, "torch") in results or dev == "torch" and (model, "gpu") in results:
                r = results.get((model, "gpu"), 0) / max(results.get((model, "torch"), 1e-9), 1e-9)
                note += f"; tensorlet GPU / PyTorch GPU = {r:.2f}x"
            print(
                f"{model:5} {label:24} {len(times):5d} {med * 1e3:9.2f} {med * STEPS_PER_EPOCH:9.2f}  {note}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
