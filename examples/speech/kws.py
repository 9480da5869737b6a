"""Keyword spotting from scratch: a DS-CNN on log-mel features of the bundled SYNTHESIZED spoken_words set,
trained in the trainer, exported float and int8, and run on pyruntime (the C runtime).

    .venv/bin/python examples/speech/kws.py                       # ~ a few minutes on 2 cores
    .venv/bin/python examples/speech/kws.py --epochs 2 --max-per-class 20 --out /tmp/kws   # a quick look

Features: the fixed-point front-end (runtime_c's tl_frontend, through its bit-exact numpy twin
trainer.audio.fixed_frontend): 30 ms Hann window, 20 ms hop, 512-point FFT, 40 log-mel bins over 125-7500 Hz,
so one second is 49 x 40 int16 values (Q8 log2 energies); the model sees ``(q - 4096) / 4096``. Classes follow
TensorFlow's speech_commands example: ``_silence_``, ``_unknown_`` (the ten digits) and the ten keywords
yes no up down left right on off stop go. The split is the data set's speaker-held-out one (test voices never
train). Training adds augmented copies (time shift, white/pink noise, gain; trainer.datasets.speech_commands).

Model (DS-CNN, MLPerf Tiny style, small): Conv2D 10x4 stride 2 -> N x (DepthwiseConv2D 3x3 -> Conv2D 1x1;
the first depthwise with stride 2), batch norm + ReLU after each -> AveragePool over the whole map ->
FullyConnected. Everything is a runtime op (batch norm folds into the convolutions on export).

int8 (post-training): 400 training clips (clean and augmented) calibrate the activation ranges, chosen to
minimize the int8 quantization error (``--calibration-method mse``; ``minmax`` was the default before), and
bias correction subtracts the mean error of the int8 weights from every bias (``--no-bias-correction`` turns
it off). ``--ptq-study`` quantizes the float model all four ways and reports how far each is from float on
the validation and training clips (the recipe was chosen that way, not on the test clips).

With ``--qat`` the trained float model is then fine-tuned for ``--qat-epochs`` with fake quantization
(``tf.contrib.quantize.create_training_graph``: int8 weights per channel, activation ranges learned by moving
averages), rebuilt as an eval graph (``create_eval_graph``) and exported to int8 again with the learned
ranges (kws_int8_qat.tlm); it reports the fine-tuned model's accuracy in the trainer (with fake quant) and
its int8 accuracy on pyruntime next to the post-training numbers.

Outputs in --out: kws_float.tlm, kws_int8.tlm (kws_int8_qat.tlm with --qat), summary.json. Prints float
accuracy (trainer, and pyruntime), int8 accuracy on pyruntime, and the accuracy of the same float model fed by
the float front-end (trainer.audio.float_frontend, tf.signal ops) instead of the fixed-point one.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
try:
    import trainer as tf
except ImportError:  # a source checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT))
    import trainer as tf
from trainer.audio import fixed_frontend as ff  # noqa: E402
from trainer.datasets import speech_commands as sc  # noqa: E402
from trainer.lite import Converter, Optimize  # noqa: E402
from trainer.quant.kernels_int8 import quantize  # noqa: E402

KEYWORDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
FEATURE_OFFSET, FEATURE_SCALE = 4096.0, 1.0 / 4096.0  # model input = (Q8 log2 feature - 4096) / 4096


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=10, help="passes over the training features (default 10)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument(
        "--lr", type=float, default=5e-3, help="Adam learning rate (default 5e-3, linear decay to 1/20)"
    )
    p.add_argument("--width", type=int, default=48, help="channels of every DS-CNN layer (default 48)")
    p.add_argument("--blocks", type=int, default=3, help="depthwise-separable blocks (default 3)")
    p.add_argument(
        "--augment", type=int, default=1, help="augmented copies of each training clip (default 1)"
    )
    p.add_argument("--max-per-class", type=int, default=0, help="cap training clips per class (0: all)")
    p.add_argument(
        "--activation",
        choices=("relu", "relu6"),
        default="relu",
        help="activation after every batch norm (default relu; relu6 bounds every range to [0, 6])",
    )
    p.add_argument("--calibration", type=int, default=400, help="training clips for int8 calibration")
    p.add_argument(
        "--calibration-method",
        choices=("minmax", "mse"),
        default="mse",
        help="int8 activation ranges: least quantization error (default mse) or min/max",
    )
    p.add_argument(
        "--bias-correction",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="subtract the mean error of the int8 weights from every bias (default on)",
    )
    p.add_argument(
        "--ptq-study",
        action="store_true",
        help="also quantize the float model with min/max or MSE ranges, with and without bias correction; "
        "report int8-vs-float agreement and logit SQNR on validation and training clips, and test accuracy",
    )
    p.add_argument(
        "--calibration-study",
        action="store_true",
        help="also quantize with other calibration sets and ranges; report validation and test accuracy",
    )
    p.add_argument(
        "--qat",
        action="store_true",
        help="also fine-tune the model with fake quantization (tf.contrib.quantize) and export int8 again",
    )
    p.add_argument(
        "--qat-epochs", type=int, default=3, help="quantization-aware fine-tuning epochs (default 3)"
    )
    p.add_argument(
        "--qat-lr", type=float, default=1e-4, help="Adam learning rate of the fine-tuning (default 1e-4)"
    )
    p.add_argument("--words", default=",".join(KEYWORDS), help="comma-separated keywords (default: the ten)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data", default=None, help="a Speech Commands folder or archive (default: bundled set)")
    p.add_argument("--out", default="out/kws", help="output folder (default out/kws)")
    p.add_argument("--quiet", action="store_true", help="no per-epoch progress lines")
    return p.parse_args(argv)


def features(audio: np.ndarray) -> np.ndarray:
    """Model input float32 [n, 49, 40, 1] from int16 clips, through the fixed-point front-end."""
    return ((ff.compute_batch(audio).astype(np.float32) - FEATURE_OFFSET) * FEATURE_SCALE)[..., None]


def cap_per_class(split: sc.SpeechSplit, limit: int, rng: np.random.Generator) -> sc.SpeechSplit:
    if limit <= 0:
        return split
    keep = np.concatenate(
        [rng.permutation(np.nonzero(split.labels == c)[0])[:limit] for c in np.unique(split.labels)]
    )
    keep.sort()
    return sc.SpeechSplit(split.audio[keep], split.labels[keep], [split.files[i] for i in keep])


def build(x: Any, training: Any, num_classes: int, width: int, blocks: int, activation: str = "relu") -> Any:
    """DS-CNN logits for features ``x`` [N, 49, 40, 1]; batch norm after every convolution (folded into it
    when frozen for export), then ``activation`` ("relu" or "relu6", fused into the convolution)."""
    act = {"relu": tf.nn.relu, "relu6": tf.nn.relu6}[activation]

    def bn_relu(h: Any) -> Any:
        return act(tf.layers.BatchNormalization(momentum=0.9)(h, training=training))

    h = bn_relu(tf.layers.Conv2D(width, (10, 4), strides=(2, 2), padding="same", use_bias=False)(x))
    for block in range(blocks):
        stride = 2 if block == 0 else 1  # 25 x 20 -> 13 x 10: a wider view for the later blocks, 4x cheaper
        h = bn_relu(tf.layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)(h))
        h = bn_relu(tf.layers.Conv2D(width, 1, use_bias=False)(h))
    h = tf.layers.AveragePool2D(h.shape.as_list()[1:3], 1)(h)
    return tf.layers.Dense(num_classes)(tf.layers.Flatten()(h))


def accuracy(pred: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(np.asarray(pred) == np.asarray(labels)))


def run_tlm(model: bytes, x: np.ndarray) -> np.ndarray:
    """Outputs of ``model`` (batch 1) on pyruntime for every row of ``x``."""
    import pyruntime

    interp = pyruntime.Interpreter(model_content=model)
    return np.stack([interp.run(x[i : i + 1])[0][0] for i in range(len(x))])


def input_quantization(model: bytes) -> tuple[float, int]:
    from trainer.tlm import read_model

    info = read_model(model)
    q = info.tensors[info.inputs[0]].quantization
    return float(q.scale[0]), int(q.zero_point[0])


def int8_features(model: bytes, audio: np.ndarray) -> np.ndarray:
    """The int8 model's input [n, 49, 40, 1] straight from the fixed-point front-end
    (``tl_frontend_compute_int8`` through its numpy twin), with the model's input quantization."""
    scale, zp = input_quantization(model)
    params = ff.int8_params(scale, zp, int(FEATURE_OFFSET), FEATURE_SCALE)
    return ff.compute_int8(audio, params)[..., None]


def quantize_variant(float_tlm: bytes, calib: np.ndarray, percentile: float | None) -> bytes:
    """int8 (int8 I/O) from ``float_tlm`` calibrated on ``calib`` [n, 49, 40, 1] (min/max or percentile)."""
    from trainer.quant.ptq import quantize_model

    data = [[calib[i : i + 1]] for i in range(len(calib))]
    return quantize_model(
        float_tlm, data, inference_input_type="int8", inference_output_type="int8", percentile=percentile
    )


def calibration_study(
    float_tlm: bytes, xtr: np.ndarray, n_clean: int, data: sc.SpeechCommands, rng: np.random.Generator
) -> list[dict[str, Any]]:
    """int8 accuracy (validation and test) of several calibrations of the same float model: how many clips,
    clean or clean + augmented, min/max or percentile ranges. Choose on validation, report test."""
    clean = np.arange(n_clean)
    mixed = np.arange(len(xtr))
    variants = [
        ("400 clean+augmented, min/max", mixed, 400, None),
        ("100 clean+augmented, min/max", mixed, 100, None),
        ("1000 clean+augmented, min/max", mixed, 1000, None),
        ("400 clean, min/max", clean, 400, None),
        ("400 clean+augmented, 99.99 pct", mixed, 400, 99.99),
        ("400 clean+augmented, 99.9 pct", mixed, 400, 99.9),
    ]
    rows = []
    for name, pool, n, pct in variants:
        pick = xtr[rng.permutation(pool)[:n]]
        model = quantize_variant(float_tlm, pick, pct)
        acc = {}
        for split in ("validation", "test"):
            part = getattr(data, split)
            acc[split] = accuracy(run_tlm(model, int8_features(model, part.audio)).argmax(1), part.labels)
        rows.append({"calibration": name, **acc})
        print(f"  int8, calibration {name}: validation {acc['validation']:.4f}, test {acc['test']:.4f}")
    return rows


def logit_sqnr_db(reference: np.ndarray, approx: np.ndarray) -> float:
    """Signal-to-quantization-noise ratio of ``approx`` against ``reference``, in dB."""
    noise = float(np.sum((np.asarray(reference, np.float64) - approx) ** 2))
    return 10 * float(np.log10(float(np.sum(np.asarray(reference, np.float64) ** 2)) / max(noise, 1e-30)))


def ptq_study(
    float_tlm: bytes,
    calib: np.ndarray,
    xclean: np.ndarray,
    yclean: np.ndarray,
    data: sc.SpeechCommands,
) -> list[dict[str, Any]]:
    """The same float model quantized four ways (min/max or MSE ranges, without or with bias correction) on
    the same calibration clips. For each: on the validation clips and the clean training clips, how many
    int8 predictions differ from the float model's, the logit SQNR (dequantized int8 logits against float)
    and the accuracy; on the test clips, accuracy and differing predictions. Choose on validation and
    training clips, report test."""
    from trainer.quant.ptq import quantize_model
    from trainer.tlm import read_model

    splits = {
        "validation": (features(data.validation.audio), data.validation.labels),
        "train": (xclean, yclean),
        "test": (features(data.test.audio), data.test.labels),
    }
    float_logits = {k: run_tlm(float_tlm, x) for k, (x, _) in splits.items()}
    rows = []
    for method in ("minmax", "mse"):
        for corrected in (False, True):
            model = quantize_model(
                float_tlm,
                [[calib[i : i + 1]] for i in range(len(calib))],
                inference_input_type="int8",
                inference_output_type="int8",
                calibration=method,
                bias_correction=corrected,
            )
            scale, zp = input_quantization(model)
            params = ff.int8_params(scale, zp, int(FEATURE_OFFSET), FEATURE_SCALE)
            info = read_model(model)
            oq = info.tensors[info.outputs[0]].quantization
            row: dict[str, Any] = {"calibration": method, "bias_correction": corrected}
            for split, (x, y) in splits.items():
                q16 = np.rint(x[..., 0] / FEATURE_SCALE + FEATURE_OFFSET).astype(np.int16)
                out8 = run_tlm(model, ff.quantize_int8(q16, params)[..., None])
                deq = (out8.astype(np.float64) - int(oq.zero_point[0])) * float(oq.scale[0])
                ref = float_logits[split]
                row[split] = {
                    "int8_accuracy": accuracy(out8.argmax(1), y),
                    "float_accuracy": accuracy(ref.argmax(1), y),
                    "differ_from_float": int(np.sum(out8.argmax(1) != ref.argmax(1))),
                    "logit_sqnr_db": logit_sqnr_db(ref, deq),
                    "clips": len(y),
                }
            rows.append(row)
            v, t, te = row["validation"], row["train"], row["test"]
            print(
                f"  int8 {method}{' + bias correction' if corrected else ''}: validation differs on "
                f"{v['differ_from_float']}/{v['clips']}, SQNR {v['logit_sqnr_db']:.1f} dB; training clips "
                f"differ on {t['differ_from_float']}/{t['clips']}, SQNR {t['logit_sqnr_db']:.1f} dB; "
                f"test accuracy {te['int8_accuracy']:.4f} (float {te['float_accuracy']:.4f})",
                flush=True,
            )
    return rows


def model_graph(
    shape: Sequence[int], num_classes: int, args: argparse.Namespace
) -> tuple[Any, Any, Any, Any, Any, Any]:
    """A fresh default graph with the DS-CNN: (graph, features, labels, training flag, logits, loss)."""
    tf.reset_default_graph()
    tf.set_random_seed(args.seed)
    x = tf.placeholder(tf.float32, [None, *shape], name="features")
    y = tf.placeholder(tf.int64, [None], name="labels")
    training = tf.placeholder_with_default(False, [], name="training")
    logits = build(x, training, num_classes, args.width, args.blocks, args.activation)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    return tf.get_default_graph(), x, y, training, logits, loss


def load_values(sess: Any, values: dict[str, np.ndarray]) -> int:
    """Set every variable of ``sess``'s graph that ``values`` names (by op name); returns how many."""
    n = 0
    for v in tf.global_variables():
        if v.op.name in values:
            v.load(values[v.op.name], sess)
            n += 1
    return n


def model_values(sess: Any) -> dict[str, np.ndarray]:
    """The model's variables (not the optimizer's slots or step) by op name."""
    keep = [v for v in tf.global_variables() if "Adam" not in v.op.name and "global_step" not in v.op.name]
    return dict(zip([v.op.name for v in keep], sess.run(keep), strict=True))


def quantization_aware(
    args: argparse.Namespace,
    float_values: dict[str, np.ndarray],
    xtr: np.ndarray,
    ytr: np.ndarray,
    xte: np.ndarray,
    test: sc.SpeechSplit,
    validation: sc.SpeechSplit,
    calib: np.ndarray,
    num_classes: int,
) -> tuple[dict[str, Any], tuple[bytes, np.ndarray, np.ndarray]]:
    """Fine-tune the trained float model with fake quantization, then export int8 with the learned ranges.

    TF1's recipe: a training graph rewritten by ``tf.contrib.quantize.create_training_graph`` starts from
    the float variables; an eval graph rewritten by ``create_eval_graph`` takes the fine-tuned variables
    (the learned activation ranges included) and is what the Converter freezes. Returns the summary entries
    and (the int8 model, its int8 test inputs from the front-end, its int8 outputs on pyruntime)."""
    t0 = time.time()
    _, x, y, training, logits, loss = model_graph(xtr.shape[1:], num_classes, args)
    tf.contrib.quantize.create_training_graph(quant_delay=0)
    step = tf.train.get_or_create_global_step()
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        train_op = tf.train.AdamOptimizer(args.qat_lr).minimize(loss, global_step=step)
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    load_values(sess, float_values)
    for epoch in range(args.qat_epochs):
        t1, losses = time.time(), []
        for xb, yb in tf.datasets.batches(xtr, ytr, args.batch_size, seed=args.seed * 1000 + 500 + epoch):
            losses.append(sess.run([train_op, loss], {x: xb, y: yb, training: True})[1])
        if not args.quiet:
            print(
                f"QAT epoch {epoch + 1}/{args.qat_epochs}: loss {np.mean(losses):.3f}, "
                f"{time.time() - t1:.1f} s",
                flush=True,
            )
    values = model_values(sess)
    sess.close()

    _, x, _, _, logits, _ = model_graph(xtr.shape[1:], num_classes, args)
    tf.contrib.quantize.create_eval_graph()
    output = tf.contrib.quantize.quantized_tensor(logits)
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    load_values(sess, values)
    qat_acc = accuracy(sess.run(output, {x: xte}).argmax(1), test.labels)
    float_tlm = Converter.from_session(sess, [x], [output], batch_size=1).convert()
    conv = Converter.from_session(sess, [x], [output], batch_size=1)
    conv.optimizations = [Optimize.DEFAULT]
    conv.representative_dataset = lambda: ([calib[i : i + 1]] for i in range(len(calib)))
    conv.inference_input_type = conv.inference_output_type = tf.int8
    int8_tlm = conv.convert()
    q_in = int8_features(int8_tlm, test.audio)
    q_out = run_tlm(int8_tlm, q_in)
    q_val = run_tlm(int8_tlm, int8_features(int8_tlm, validation.audio))
    return {
        "qat_lr": args.qat_lr,
        "qat_int8_validation_accuracy": accuracy(q_val.argmax(1), validation.labels),
        "qat_epochs": args.qat_epochs,
        "qat_float_accuracy_trainer": qat_acc,
        "qat_float_accuracy_pyruntime": accuracy(run_tlm(float_tlm, xte).argmax(1), test.labels),
        "qat_int8_accuracy_pyruntime": accuracy(q_out.argmax(1), test.labels),
        "qat_activation_ranges": {
            k: float(v) for k, v in values.items() if k.endswith(("_quant/min", "_quant/max"))
        },
        "qat_seconds": time.time() - t0,
    }, (int8_tlm, q_in, q_out)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    t0 = time.time()
    data = sc.load(args.data, wanted_words=args.words.split(","), seed=args.seed)
    train = cap_per_class(data.train, args.max_per_class, rng)
    audio, labels = [train.audio], [train.labels]
    for _ in range(args.augment):
        audio.append(sc.augment(train.audio, train.labels, rng, background=data.background))
        labels.append(train.labels)
    xtr, ytr = features(np.concatenate(audio)), np.concatenate(labels)
    xte, yte = features(data.test.audio), data.test.labels
    print(
        f"data (synthesized): {len(data.classes)} classes, {len(train)} training clips x {1 + args.augment} "
        f"(augmented), {len(yte)} test clips; features {xtr.shape[1:]} in {time.time() - t0:.1f} s",
        flush=True,
    )

    tf.reset_default_graph()
    tf.set_random_seed(args.seed)
    x = tf.placeholder(tf.float32, [None, *xtr.shape[1:]], name="features")
    y = tf.placeholder(tf.int64, [None], name="labels")
    training = tf.placeholder_with_default(False, [], name="training")
    logits = build(x, training, len(data.classes), args.width, args.blocks, args.activation)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    step = tf.train.get_or_create_global_step()
    steps = args.epochs * -(-len(ytr) // args.batch_size)
    lr = tf.train.polynomial_decay(args.lr, step, max(steps, 1), args.lr / 20)
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        train_op = tf.train.AdamOptimizer(lr).minimize(loss, global_step=step)
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    for epoch in range(args.epochs):
        t1, losses = time.time(), []
        for xb, yb in tf.datasets.batches(xtr, ytr, args.batch_size, seed=args.seed * 1000 + epoch):
            losses.append(sess.run([train_op, loss], {x: xb, y: yb, training: True})[1])
        if not args.quiet:
            acc = accuracy(sess.run(logits, {x: xte}).argmax(1), yte)
            print(
                f"epoch {epoch + 1}/{args.epochs}: loss {np.mean(losses):.3f}, test accuracy {acc:.3f} "
                f"(synthesized), {time.time() - t1:.1f} s",
                flush=True,
            )
    float_acc = accuracy(sess.run(logits, {x: xte}).argmax(1), yte)

    # the float front-end (tf.signal ops, float32) feeding the same model
    from trainer.audio import float_frontend

    pcm = tf.placeholder(tf.float32, [None, data.test.audio.shape[1]], name="pcm")
    float_feats = sess.run(float_frontend.log_mel_graph(pcm), {pcm: data.test.audio.astype(np.float32)})
    xte_float = (float_feats[..., None] - FEATURE_OFFSET) * FEATURE_SCALE
    float_frontend_acc = accuracy(sess.run(logits, {x: xte_float}).argmax(1), yte)

    conv = Converter.from_session(sess, [x], [logits], batch_size=1)
    float_tlm = conv.convert()
    conv = Converter.from_session(sess, [x], [logits], batch_size=1)
    conv.optimizations = [Optimize.DEFAULT]
    calib = xtr[rng.permutation(len(xtr))[: args.calibration]]  # clean and augmented clips
    conv.representative_dataset = lambda: ([calib[i : i + 1]] for i in range(len(calib)))
    conv.inference_input_type = conv.inference_output_type = tf.int8
    conv.calibration, conv.bias_correction = args.calibration_method, args.bias_correction
    int8_tlm = conv.convert()
    (out / "kws_float.tlm").write_bytes(float_tlm)
    (out / "kws_int8.tlm").write_bytes(int8_tlm)

    float_rt_acc = accuracy(run_tlm(float_tlm, xte).argmax(1), yte)
    scale, zp = input_quantization(int8_tlm)
    q_in = int8_features(int8_tlm, data.test.audio)  # what the C front-end gives the device
    int8_out = run_tlm(int8_tlm, q_in)
    int8_acc = accuracy(int8_out.argmax(1), yte)
    float_quantized_acc = accuracy(run_tlm(int8_tlm, quantize(xte, scale, zp)).argmax(1), yte)
    study = []
    if args.calibration_study:
        xval, yval = features(data.validation.audio), data.validation.labels
        float_val_acc = accuracy(run_tlm(float_tlm, xval).argmax(1), yval)
        print(f"calibration study: float validation {float_val_acc:.4f}, test {float_rt_acc:.4f}", flush=True)
        study = calibration_study(float_tlm, xtr, len(train), data, np.random.default_rng(args.seed + 77))
        study.insert(0, {"calibration": "float model", "validation": float_val_acc, "test": float_rt_acc})
    ptq_rows = []
    if args.ptq_study:
        ptq_rows = ptq_study(float_tlm, calib, xtr[: len(train)], train.labels, data)
    qat: dict[str, Any] = {}
    if args.qat:
        float_values = model_values(sess)
        qat, qat_run = quantization_aware(
            args, float_values, xtr, ytr, xte, data.test, data.validation, calib, len(data.classes)
        )
        (out / "kws_int8_qat.tlm").write_bytes(qat_run[0])
        val = data.validation
        qat["float_validation_accuracy"] = accuracy(
            run_tlm(float_tlm, features(val.audio)).argmax(1), val.labels
        )
        ptq_val = run_tlm(int8_tlm, int8_features(int8_tlm, val.audio))
        qat["int8_validation_accuracy"] = accuracy(ptq_val.argmax(1), val.labels)
        print(
            f"validation accuracy (synthesized): float {qat['float_validation_accuracy']:.4f}, post-training "
            f"int8 {qat['int8_validation_accuracy']:.4f}, QAT int8 {qat['qat_int8_validation_accuracy']:.4f}",
            flush=True,
        )
        print(
            f"quantization-aware fine-tuning ({args.qat_epochs} epochs): test accuracy (synthesized) "
            f"{qat['qat_float_accuracy_trainer']:.4f} in the trainer with fake quant, "
            f"{qat['qat_float_accuracy_pyruntime']:.4f} float export, "
            f"int8 {qat['qat_int8_accuracy_pyruntime']:.4f} (pyruntime); post-training int8 {int8_acc:.4f}",
            flush=True,
        )
    summary = {
        "dataset": "spoken_words (SYNTHESIZED speech), speaker-held-out test split",
        "classes": data.classes,
        "train_clips": len(train),
        "test_clips": len(yte),
        "float_accuracy_trainer": float_acc,
        "float_accuracy_pyruntime": float_rt_acc,
        "int8_accuracy_pyruntime": int8_acc,
        "int8_accuracy_float_quantized_input": float_quantized_acc,
        "calibration_study": study,
        "activation": args.activation,
        "calibration_method": args.calibration_method,
        "bias_correction": args.bias_correction,
        "ptq_study": ptq_rows,
        "float_model_float_frontend_accuracy": float_frontend_acc,
        **qat,
        "float_tlm_bytes": len(float_tlm),
        "int8_tlm_bytes": len(int8_tlm),
        "input_scale": scale,
        "input_zero_point": zp,
        "seconds": time.time() - t0,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(
        f"test accuracy (synthesized, speaker-held-out, {len(yte)} clips): float {float_acc:.4f} (trainer), "
        f"{float_rt_acc:.4f} (pyruntime); int8 {int8_acc:.4f} (pyruntime); float model on the float "
        f"front-end {float_frontend_acc:.4f}; models {len(float_tlm)} / {len(int8_tlm)} bytes in {out}",
        flush=True,
    )
    summary["int8_tlm"] = int8_tlm
    summary["int8_inputs"] = q_in
    summary["int8_outputs"] = int8_out
    if args.qat:
        summary["qat_int8_tlm"], summary["qat_int8_inputs"], summary["qat_int8_outputs"] = qat_run
    return summary


if __name__ == "__main__":
    main()
