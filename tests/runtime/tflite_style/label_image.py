"""Classify a batch of images with the TFLite Python interpreter: the flow of TFLite's label_image.py example,
plus batching, an intermediate tensor, raw tensor() access and the signature runner.

Written for ``tflite_runtime``; tests/runtime/test_tflite_compat.py runs it on pyruntime with only the import
line changed. Writes what it computed to a JSON file:

    python label_image.py -m model.tflite -i images.npy -o result.json --intermediate NAME
"""

import argparse
import json
import time

import numpy as np
from tflite_runtime.interpreter import Interpreter


def load_images(path, input_details):
    """Images [N, ...] in [0, 1] (a .npy file), shaped and typed for the model's input."""
    images = np.load(path).astype(np.float32)
    images = images.reshape(len(images), *input_details["shape"][1:])
    if input_details["dtype"] == np.float32:
        return images
    scale, zero_point = input_details["quantization"]
    info = np.iinfo(input_details["dtype"])
    return np.clip(np.round(images / scale + zero_point), info.min, info.max).astype(input_details["dtype"])


def dequantize(values, details):
    scale, zero_point = details["quantization"]
    if values.dtype == np.float32 or scale == 0:
        return values.astype(np.float32)
    return (values.astype(np.float32) - zero_point) * scale


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-m", "--model_file", required=True)
    parser.add_argument("-i", "--images", required=True)
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--intermediate", required=True, help="name of a tensor to read after invoke")
    parser.add_argument("--num_threads", type=int, default=None)
    args = parser.parse_args()

    interpreter = Interpreter(
        model_path=args.model_file, num_threads=args.num_threads, experimental_preserve_all_tensors=True
    )
    interpreter.allocate_tensors()
    input_details = interpreter.get_input_details()
    output_details = interpreter.get_output_details()
    images = load_images(args.images, input_details[0])

    # one image at a time, written in place through tensor()
    single = []
    for image in images:
        interpreter.tensor(input_details[0]["index"])()[0] = image
        interpreter.invoke()
        single.append(dequantize(interpreter.get_tensor(output_details[0]["index"]), output_details[0])[0])

    # the whole batch at once
    interpreter.resize_tensor_input(input_details[0]["index"], [len(images), *input_details[0]["shape"][1:]])
    interpreter.allocate_tensors()
    interpreter.set_tensor(input_details[0]["index"], images)
    start = time.perf_counter()
    interpreter.invoke()
    elapsed_ms = (time.perf_counter() - start) * 1000
    scores = dequantize(interpreter.get_tensor(output_details[0]["index"]), output_details[0])
    top_k = [[int(i) for i in row.argsort()[-3:][::-1]] for row in scores]

    # an intermediate tensor, found by name
    by_name = {d["name"]: d for d in interpreter.get_tensor_details()}
    hidden = interpreter.get_tensor(by_name[args.intermediate]["index"])

    # the signature runner
    signature = interpreter.get_signature_list()["serving_default"]
    runner = interpreter.get_signature_runner("serving_default")
    by_signature = runner(**{signature["inputs"][0]: images})[signature["outputs"][0]]

    with open(args.output, "w") as f:
        json.dump(
            {
                "single": np.array(single).tolist(),
                "batch": scores.tolist(),
                "batch_shape": [int(s) for s in interpreter.get_output_details()[0]["shape"]],
                "top_k": top_k,
                "intermediate": hidden.tolist(),
                "runner": dequantize(by_signature, output_details[0]).tolist(),
                "tensors": len(by_name),
                "elapsed_ms": elapsed_ms,
            },
            f,
        )
    print(f"{len(images)} images in {elapsed_ms:.2f} ms; top classes {[k[0] for k in top_k]}")


if __name__ == "__main__":
    main()
