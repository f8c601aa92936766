"""`make test-interop`: torchvision's own resnet18 and resnet50 (random weights, randomised
batch-norm statistics) through the exporter and `lesion predict`, against PyTorch's logits and
input gradients. Too large to commit as fixtures, so they are made here each time.

    python3 notebooks-export/check_torchvision.py [--size 64] [--batch 4]
"""
import argparse
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import export_pytorch as ex  # noqa: E402
import make_dataset  # noqa: E402
import unravel_models as um  # noqa: E402


def check(arch, size, batch, folder):
    import torchvision

    torch.manual_seed(0)
    model = getattr(torchvision.models, arch)(num_classes=10)
    um.randomize_batchnorm(model, torch.Generator().manual_seed(1))
    model.eval()
    model_path, data_path, out = (os.path.join(folder, f"{arch}.{k}.h5") for k in ("model", "data", "out"))
    ex.write_model(model_path, ex.architecture(model, (3, size, size)), model.state_dict(), source="check_torchvision")
    x = torch.randn(batch, 3, size, size)
    labels = torch.arange(batch) % 10
    make_dataset.write(data_path, x.numpy(), labels.numpy(), [str(c) for c in range(10)], "random")
    binary = os.path.join(ROOT, ".build", "release", "lesion")
    subprocess.run([binary, "predict", model_path, data_path, "-o", out, "--input-gradients", "--quiet"], check=True)
    x.requires_grad_(True)
    logits = model(x)
    (gradient,) = torch.autograd.grad(torch.nn.functional.cross_entropy(logits, labels, reduction="sum"), x)
    with h5py.File(out) as f:
        errors = {
            "logits": np.abs(f["logits"][()] - logits.detach().numpy()).max() / np.abs(logits.detach().numpy()).max(),
            "input gradient": np.abs(f["input_gradients"][()] - gradient.numpy()).max() / np.abs(gradient.numpy()).max(),
        }
    ok = all(e <= 1e-4 for e in errors.values())
    print(f"{arch}: " + ", ".join(f"{k} relative error {v:.2e}" for k, v in errors.items()) + ("" if ok else "  FAILED"))
    return ok


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--batch", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        results = [check(arch, args.size, args.batch, folder) for arch in ("resnet18", "resnet50")]
    print(f"check_torchvision: {sum(results)} passed, {len(results) - sum(results)} failed")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
