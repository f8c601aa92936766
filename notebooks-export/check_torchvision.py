"""`make test-interop`: torchvision's own resnet18, resnet50 and resnext50_32x4d (grouped convolutions) (random weights, randomised
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


def input_gradient(model, x, labels):
    x = x.clone().requires_grad_(True)
    (gradient,) = torch.autograd.grad(torch.nn.functional.cross_entropy(model(x), labels, reduction="sum"), x)
    return gradient


def relu_margins(model, x):
    """Per image, the smallest |input| any ReLU sees, relative to the largest in the same tensor."""
    margins = torch.full((x.shape[0],), float("inf"))

    def look(_module, inputs):
        flat = inputs[0].detach().flatten(1).abs()
        margins.copy_(torch.minimum(margins, flat.min(1).values / flat.max(1).values.clamp_min(1e-30)))

    hooks = [m.register_forward_pre_hook(look) for m in model.modules() if isinstance(m, torch.nn.ReLU)]
    with torch.no_grad():
        model(x)
    for hook in hooks:
        hook.remove()
    return margins


def stable_inputs(model, batch, size, margin=1e-7, tries=100):
    """Random images none of whose ReLU inputs lie within `margin` (relative) of zero. With random
    weights, a deep network puts some ReLU inputs within rounding distance of zero (8e-8 of a value
    of order 1 in resnet50's first block, for one image of four). There any re-association of the
    arithmetic, oneDNN's fused add or PyTorch's own batch-norm folding, flips that ReLU and moves the
    image's gradient by up to a few percent, so such an image tests rounding, not correctness."""
    generator = torch.Generator().manual_seed(2)
    x = torch.randn(batch, 3, size, size, generator=generator)
    for _ in range(tries):
        unstable = relu_margins(model, x) < margin
        if not unstable.any():
            return x
        x[unstable] = torch.randn(int(unstable.sum()), 3, size, size, generator=generator)
    raise SystemExit("check_torchvision: could not draw images clear of every ReLU's kink")


def check(arch, size, batch, folder):
    import torchvision

    torch.manual_seed(0)
    model = getattr(torchvision.models, arch)(num_classes=10)
    um.randomize_batchnorm(model, torch.Generator().manual_seed(1))
    model.eval()
    model_path, data_path, out = (os.path.join(folder, f"{arch}.{k}.h5") for k in ("model", "data", "out"))
    ex.write_model(model_path, ex.architecture(model, (3, size, size)), model.state_dict(), source="check_torchvision")
    x = stable_inputs(model, batch, size)
    labels = torch.arange(batch) % 10
    make_dataset.write(data_path, x.numpy(), labels.numpy(), [str(c) for c in range(10)], "random")
    binary = os.path.join(ROOT, ".build", "release", "lesion")
    subprocess.run([binary, "predict", model_path, data_path, "-o", out, "--input-gradients", "--quiet"], check=True)
    with torch.no_grad():
        logits = model(x)
    gradient = input_gradient(model, x, labels)
    with h5py.File(out) as f:
        errors = {
            "logits": np.abs(f["logits"][()] - logits.numpy()).max() / np.abs(logits.numpy()).max(),
            "input gradient": np.abs(f["input_gradients"][()] - gradient.numpy()).max() / np.abs(gradient.numpy()).max(),
        }
    ok = all(e <= 1e-4 for e in errors.values())
    print(f"{arch}: " + ", ".join(f"{k} relative error {v:.2e}" for k, v in errors.items()) + ("" if ok else "  FAILED"))
    return ok


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--batch", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        results = [check(arch, args.size, args.batch, folder) for arch in ("resnet18", "resnet50", "resnext50_32x4d")]
    print(f"check_torchvision: {sum(results)} passed, {len(results) - sum(results)} failed")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
