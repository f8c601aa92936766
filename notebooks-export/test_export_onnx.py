"""Tests export_onnx.py as a user runs it, on networks too large to commit: torchvision's
ResNet-18 and a narrow ResNet-50 exported by torch.onnx.export with batch norm folded (eval mode)
and kept (do_constant_folding=False, training=TrainingMode.PRESERVE), ResNet-18 with group norm, a
block of instance norms, timm's Big Transfer (weights standardised in the graph) and ECA-ResNet,
ResNet-18, both group-norm networks and the ECA-ResNet through the newer
dynamo exporter when onnxscript is installed (it folds batch norm too), and every error (a clear message naming the node,
exit status 1, nothing written). Each export checks itself against onnxruntime through `lesion
predict` (logits within 1e-4). `make test-interop` runs it.

    python3 notebooks-export/test_export_onnx.py
"""
import os
import subprocess
import sys
import tempfile
import warnings

import h5py
import torch
import torch.nn as nn
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "export_onnx.py")
sys.path.insert(0, HERE)
import model_file  # noqa: E402
import unravel_models as um  # noqa: E402
import zoo_layouts  # noqa: E402

PRESERVE = dict(do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE)
failures = []


def export_to_onnx(model, path, size, dynamo=False, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dynamo:
            torch.onnx.export(model, (torch.zeros(1, 3, size, size),), path, dynamo=True, verbose=False)
        else:
            torch.onnx.export(model, torch.zeros(1, 3, size, size), path, dynamo=False, **options)


def run(*arguments):
    return subprocess.run([sys.executable, SCRIPT, *arguments], capture_output=True, text=True)


def expect(name, condition, detail=""):
    print(f"{'ok' if condition else 'FAILED'}  {name}" + (f": {detail}" if detail and not condition else ""))
    if not condition:
        failures.append(name)


def converts(name, model, size, folded, blocks="layer1.0", **options):
    with tempfile.TemporaryDirectory() as folder:
        onnx_path, out = os.path.join(folder, "model.onnx"), os.path.join(folder, "model.h5")
        export_to_onnx(model.eval(), onnx_path, size, **options)
        result = run(onnx_path, "--preprocess", "imagenet", "-o", out)
        ok = result.returncode == 0 and os.path.exists(out)
        detail = result.stderr.strip() or result.stdout.strip()
        if ok:
            with h5py.File(out) as f:
                recorded = '"batchnorm_folded": true' in f.attrs["architecture"]
            ok = recorded == folded
            detail = f"recorded folded={recorded}, expected {folded}"
            info = subprocess.run([model_file.lesion_binary(), "info", out], capture_output=True, text=True).stdout
            ok = ok and ("batch norm folded" in info) == folded and f" {blocks} " in info
            detail += f"; lesion info: {info}"
        expect(name, ok, detail)
        if ok:
            print("    " + result.stdout.strip().splitlines()[0])


def refuses(name, arguments, message, prepare=None):
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "out.h5")
        onnx_path = os.path.join(folder, "model.onnx")
        if prepare:
            prepare(onnx_path)
        result = run(*[a.replace("MODEL", onnx_path) for a in arguments], "-o", out)
        expect(name, result.returncode == 1 and message in result.stderr and not os.path.exists(out)
               and not os.path.exists(out + ".partial"), f"status {result.returncode}, stderr {result.stderr.strip()!r}")


class LeakyBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, padding=1)
        self.block = nn.Sequential(nn.Conv2d(4, 4, 3, padding=1), nn.LeakyReLU(0.1), nn.Conv2d(4, 4, 3, padding=1))
        self.fc = nn.Linear(4, 10)

    def forward(self, x):
        x = self.stem(x)
        x = x + self.block(x)
        return self.fc(x.mean((2, 3)))


class PaddedAfterPool(nn.Module):
    """A stem whose max pooling reads a zero padding after the map only (TensorFlow's 'SAME' on
    an even map, as F.pad writes it), with nothing between the batch norm and the pooling, so
    that zeros can win; then a torchvision basic block."""

    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(3, 8, 7, 2, 3, bias=False), nn.BatchNorm2d(8)
        self.layer1 = nn.Sequential(torchvision.models.resnet.BasicBlock(8, 8))
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        x = nn.functional.max_pool2d(nn.functional.pad(self.bn1(self.conv1(x)), (0, 1, 0, 1)), 3, 2)
        return self.fc(self.layer1(x).mean((2, 3)))


class InstanceNormed(nn.Module):
    """A basic block whose norms are instance norms with their own affine (group norm with a
    group per channel), which ONNX writes as one InstanceNormalization each."""

    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(3, 8, 3, padding=1), nn.InstanceNorm2d(8, affine=True)
        self.layer1 = nn.Sequential(torchvision.models.resnet.BasicBlock(8, 8, norm_layer=lambda c: nn.InstanceNorm2d(c, affine=True)))
        self.fc = nn.Linear(8, 10)
        with torch.no_grad():
            for module in self.modules():
                if isinstance(module, nn.InstanceNorm2d):
                    module.weight.uniform_(0.5, 1.5)
                    module.bias.normal_(0, 0.1)

    def forward(self, x):
        return self.fc(self.layer1(torch.relu(self.bn1(self.conv1(x)))).mean((2, 3)))


class UnscaledGroupNorms(nn.Module):
    """A residual block normalised by group norms without an affine, which the dynamo exporter
    writes with no Mul or Add after the reshape back: the map's channels come from its shape."""

    def __init__(self):
        super().__init__()
        self.conv1, self.gn1 = nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.GroupNorm(2, 8, affine=False)
        self.conv2, self.gn2 = nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.GroupNorm(2, 8, affine=False)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        x = torch.relu(self.gn1(self.conv1(x)))
        return self.fc(torch.relu(x + self.gn2(self.conv2(x))).mean((2, 3)))


def main():
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    resnet18 = torchvision.models.resnet18()
    narrow50 = torchvision.models.resnet50(width_per_group=16)
    for model in (resnet18, narrow50):
        um.randomize_batchnorm(model, generator)
    converts("torchvision resnet18, batch norm folded", resnet18, 224, folded=True)
    converts("torchvision resnet18, batch norm kept", resnet18, 224, folded=False, **PRESERVE)
    converts("narrow torchvision resnet50, batch norm folded", narrow50, 224, folded=True)
    converts("narrow torchvision resnet50, batch norm kept", narrow50, 224, folded=False, **PRESERVE)
    # Group norm: both exporters write Reshape, InstanceNormalization, Reshape, Mul and Add.
    grouped = torchvision.models.resnet18(norm_layer=lambda c: nn.GroupNorm(8, c))
    um.randomize_batchnorm(grouped, generator)
    converts("torchvision resnet18 with group norm (8 groups)", grouped, 64, folded=False)
    converts("instance norms with an affine (a group per channel)", InstanceNormed(), 16, folded=False)
    # timm's Big Transfer: group norm, and weights standardised in the graph, which neither
    # exporter folds (the importer evaluates them); its Sequential children name the blocks.
    bit = zoo_layouts.narrow_timm_bit()
    um.randomize_batchnorm(bit, generator)
    converts("timm Big Transfer (weights standardised in the graph)", bit, 64, folded=False, blocks="stages.1.blocks.1")
    # ECA: the pooled channels viewed as a sequence (Reshape), a 1-D Conv across them, the gate
    # viewed back and expanded to the map.
    eca = zoo_layouts.narrow_timm("ecaresnet18d")
    um.randomize_batchnorm(eca, generator)
    converts("timm ECA-ResNet (a 1-D convolution across the channels)", eca, 64, folded=True)
    # The squeeze-excitation users write themselves: bias-free Linear layers (a MatMul with no Add
    # after it) on the pooled channels, the gate reshaped back to (N, C, 1, 1) and expanded.
    senet = zoo_layouts.SenetCifarResNet(width=8, reduction=2)
    um.randomize_batchnorm(senet, generator)
    converts("senet.pytorch's SE-ResNet (squeeze-excitation of Linear layers)", senet, 32, folded=True)
    try:
        import onnxscript  # noqa: F401
        converts("torchvision resnet18 with group norm through the dynamo exporter", grouped, 64, folded=False, dynamo=True)
        converts("timm Big Transfer through the dynamo exporter", bit, 64, folded=False, dynamo=True, blocks="stages.1.blocks.1")
        converts("timm ECA-ResNet through the dynamo exporter", eca, 64, folded=True, dynamo=True)
        converts("group norms without an affine through the dynamo exporter", UnscaledGroupNorms(), 16, folded=False,
                 dynamo=True, blocks="node_add")
        converts("torchvision resnet18 through the dynamo exporter (which folds batch norm)", resnet18, 224, folded=True,
                 dynamo=True, blocks="layer1.0")
        # The dynamo exporter writes F.pad as one Pad with constant pads (the legacy one computes
        # them with ConstantOfShape, Slice and Transpose, which the importer does not follow).
        padded = PaddedAfterPool()
        um.randomize_batchnorm(padded, generator)
        converts("a zero padding after the map only, before max pooling", padded, 32, folded=True, dynamo=True)
    except ImportError:
        print("skipped: the dynamo exporter (onnxscript is not installed)")

    def leaky(path):
        export_to_onnx(LeakyBlock().eval(), path, 8)

    def garbage(path):
        with open(path, "wb") as f:
            f.write(b"\x08\x07not a model")

    refuses("an unsupported operator is named with its node", ["MODEL", "--preprocess", "none"],
            "(LeakyRelu): this operator cannot be mapped to Unravel's engine", leaky)
    refuses("a file that is not ONNX", ["MODEL", "--preprocess", "none"], "not a valid ONNX model", garbage)
    refuses("a missing file", ["MODEL", "--preprocess", "none"], "no such file")
    refuses("undeclared preprocessing", ["MODEL"], "say how stored pixels become network input", leaky)
    if failures:
        sys.exit(f"test_export_onnx: {len(failures)} failed: {', '.join(failures)}")
    print("test_export_onnx: all passed")


if __name__ == "__main__":
    main()
