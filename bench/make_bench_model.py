"""Writes a benchmark network (bench/forms.py) with random weights and randomised batch-norm
statistics, as an Unravel model file and as ONNX.

    python3 bench/make_bench_model.py OUT_DIR [--form cifar110]
"""
import argparse
import os
import sys
import warnings

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "notebooks-export"))
import export_pytorch as ex  # noqa: E402
from forms import FORMS  # noqa: E402


def write(form, out):
    model = form.build()
    base = os.path.join(out, form.key)
    ex.write_model(base + ".h5", ex.architecture(model, form.input, plain=ex.plain_blocks(model)), model.state_dict(),
                   source=f"bench: {form.title}, random weights")
    try:
        warnings.simplefilter("ignore")   # the TorchScript exporter's deprecation and folding notes
        torch.onnx.export(model, torch.randn(1, *form.input), base + ".onnx", input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "n"}, "y": {0: "n"}}, opset_version=17, dynamo=False)
    except Exception as error:  # onnx missing or an exporter change: the bench says so
        print(f"make_bench_model: no ONNX export ({error})", file=sys.stderr)
    return base


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--form", default="cifar110", choices=sorted(FORMS))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    print(write(FORMS[args.form], args.out))


if __name__ == "__main__":
    main()
