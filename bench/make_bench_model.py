"""Writes the benchmark network: CIFAR ResNet-110 (option A) with random weights and randomised
batch-norm statistics, as an Unravel model file and as ONNX.

    python3 bench/make_bench_model.py OUT_DIR [--depth 110]
"""
import argparse
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "notebooks-export"))
import export_pytorch as ex  # noqa: E402
import unravel_models as um  # noqa: E402


def build(depth):
    torch.manual_seed(0)
    model = um.CifarResNet(depth, "A")
    um.randomize_batchnorm(model, torch.Generator().manual_seed(1))
    return model.eval()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--depth", type=int, default=110)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    model = build(args.depth)
    base = os.path.join(args.out, f"resnet{args.depth}")
    ex.write_model(base + ".h5", ex.architecture(model, (3, 32, 32)), model.state_dict(), source="bench")
    try:
        torch.onnx.export(model, torch.randn(1, 3, 32, 32), base + ".onnx", input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "n"}, "y": {0: "n"}}, opset_version=17, dynamo=False)
    except Exception as error:  # onnx missing or an exporter change: the bench says so
        print(f"make_bench_model: no ONNX export ({error})", file=sys.stderr)
    print(base)


if __name__ == "__main__":
    main()
