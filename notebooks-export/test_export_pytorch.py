"""Tests export_pytorch.py as a user runs it: the published akamaster checkpoints exactly as
they are downloaded, models from torchvision, timm and transformers, the checkpoint forms in the
wild, and every error (each with a clear message, exit status 1 and nothing written).
`make test-interop` runs it; it needs torch, timm and transformers, and the release `lesion`.

    python3 notebooks-export/test_export_pytorch.py [--only NAME]
"""
import argparse
import os
import subprocess
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SCRIPT = os.path.join(HERE, "export_pytorch.py")
LAYOUTS = os.path.join(HERE, "zoo_layouts.py")
PEER = os.path.join(ROOT, "..", "shared", "peer", "akamaster")
LESION = os.environ.get("UNRAVEL_LESION", os.path.join(ROOT, ".build", "release", "lesion"))
sys.path.insert(0, HERE)
import unravel_models as um  # noqa: E402
import zoo_layouts as zoo  # noqa: E402

# Networks that fail on purpose, written as a user would.
BROKEN = '''
import torch, torch.nn as nn, torch.nn.functional as F

class Gelu(nn.Module):
    """A residual block with a GELU: no exact counterpart in Unravel's engine."""
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, padding=1)
        self.block = nn.Sequential(nn.Conv2d(4, 4, 3, padding=1), nn.GELU(), nn.Conv2d(4, 4, 3, padding=1))
        self.fc = nn.Linear(4, 10)
    def forward(self, x):
        x = self.stem(x)
        x = x + self.block(x)
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))

class DataDependent(nn.Module):
    """Control flow on the data: torch.export cannot capture it."""
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.fc = nn.Linear(4, 10)
    def forward(self, x):
        x = self.conv(x)
        if x.sum() > 0:
            x = F.relu(x)
        return self.fc(x.mean((2, 3)))

class Drifting(nn.Module):
    """Runs differently under torch.export than in eager mode, so the captured graph is not what
    PyTorch runs: the self-check must catch it."""
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.fc = nn.Linear(4, 10)
    def forward(self, x):
        x = F.relu(self.conv(x))
        if not torch.compiler.is_exporting():
            x = x * 1.5
        return self.fc(x.mean((2, 3)))
'''

# Padding that differs by side, written as a user would: timm's MaxPool2dSame pads an even map
# with -infinity after it only. Its batch norm is shifted down so that whole windows are negative
# and the padding's value decides their maximum.
PADDED = '''
import torch.nn as nn
from timm.layers.pool2d_same import MaxPool2dSame
from torchvision.models.resnet import BasicBlock

class SamePool(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(3, 8, 7, 2, 3, bias=False), nn.BatchNorm2d(8)
        nn.init.constant_(self.bn1.bias, -2.0)
        self.pool = MaxPool2dSame(3, 2)
        self.layer1 = nn.Sequential(BasicBlock(8, 8))
        self.fc = nn.Linear(8, 10)
    def forward(self, x):
        return self.fc(self.layer1(self.pool(self.bn1(self.conv1(x)))).mean((2, 3)))
'''


def broken_models(folder):
    """BROKEN written as a user's file, for MODEL sources like broken.py:Gelu."""
    path = os.path.join(folder, "broken.py")
    with open(path, "w") as f:
        f.write(BROKEN)
    return path


def export(*args, expect=0):
    result = subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True,
                            env=dict(os.environ, UNRAVEL_LESION=LESION))
    if result.returncode != expect:
        raise AssertionError(f"exit {result.returncode}, expected {expect}\nstdout: {result.stdout}\nstderr: {result.stderr}")
    return result.stdout + result.stderr


def info(path):
    return subprocess.run([LESION, "info", path], capture_output=True, text=True, check=True).stdout


def assert_in(text, output):
    if text not in output:
        raise AssertionError(f"«{text}» not in:\n{output}")


def assert_fails(folder, args, message):
    out = os.path.join(folder, "failed.h5")
    output = export(*args, "-o", out, expect=1)
    assert_in(message, output)
    leftovers = [f for f in os.listdir(folder) if f.startswith("failed.h5")]
    if leftovers:
        raise AssertionError(f"a failed export left {leftovers}")


# --- the published checkpoints, as users download them ---

def test_akamaster_resnet20_and_56(folder):
    for depth, checkpoint in ((20, "resnet20-12fca82f.th"), (56, "resnet56-4bfd9763.th")):
        out = os.path.join(folder, f"resnet{depth}.h5")
        output = export(f"{LAYOUTS}:akamaster_resnet{depth}", "--checkpoint", os.path.join(PEER, checkpoint),
                        "--input", "3,32,32", "--preprocess", "imagenet", "-o", out)
        assert_in("check against PyTorch", output)
        text = info(out)
        assert_in("preprocessing: imagenet: pixel × 0.00392157, − [0.485, 0.456, 0.406], ÷ [0.229, 0.224, 0.225], RGB", text)
        assert_in(f"{(depth - 2) // 2} blocks", text)
        assert_in("zero-pad (option A, split)", text)


def test_the_family_form_still_works_and_says_its_default(folder):
    output = export("cifar-resnet", "--depth", "20", "--checkpoint", os.path.join(PEER, "resnet20-12fca82f.th"),
                    "-o", os.path.join(folder, "r20.h5"))
    assert_in("preprocessing 'imagenet' (the cifar-resnet form's default", output)
    assert_in("wrote", output)


# --- model sources ---

def test_torchvision_timm_and_transformers_models(folder):
    cases = [("torchvision:resnet18", "{}", "3,64,64"),
             ("torchvision:resnet50", '{"num_classes": 10}', "3,64,64"),
             ("timm:resnet18d", "{}", "3,64,64"),
             ("timm:seresnet18", "{}", "3,64,64"),
             ("timm:resnet26d", '{"num_classes": 10}', "3,64,64"),
             ("timm:resnetv2_50d", '{"num_classes": 10}', "3,64,64"),   # pre-activation, a 1x1 conv classifier
             ("timm:resnext26ts", '{"num_classes": 10}', "3,64,64"),   # SiLU, SiLU after each add
             ("timm:ecaresnet26t", '{"num_classes": 10}', "3,64,64")]   # ECA's 1-D convolution across channels
    for model, arguments, size in cases:
        out = os.path.join(folder, model.replace(":", "_") + ".h5")
        output = export(model, "--model-args", arguments, "--input", size, "--preprocess", "imagenet", "-o", out)
        assert_in("check against PyTorch", output)
    # Big Transfer (group norm, weight-standardised convolutions), from seeded weights: at random
    # initialisation its logits on random images move by 1.5-2.5e-5 between float32 and float64
    # in PyTorch itself, and Unravel's by as much, so a draw may need the check's float64
    # arbiter (docs/model-format.md, "Numerics"); seed 1 passes the float32 check alone.
    import timm
    torch.manual_seed(1)
    checkpoint = os.path.join(folder, "bit.pth")
    torch.save(timm.create_model("resnetv2_50x1_bit", num_classes=10).state_dict(), checkpoint)
    output = export("timm:resnetv2_50x1_bit", "--model-args", '{"num_classes": 10}', "--checkpoint", checkpoint,
                    "--input", "3,64,64", "--preprocess", "imagenet", "-o", os.path.join(folder, "bit.h5"))
    assert_in("weight-standardised convolutions written with their standardised weights", output)
    for layer_type, stride_on_1x1 in (("basic", False), ("bottleneck", True)):
        config = zoo.small_hf_config(layer_type)
        config.downsample_in_bottleneck = stride_on_1x1   # the stride on the first 1x1, as in ResNet v1
        path = os.path.join(folder, f"{layer_type}.json")
        config.to_json_file(path)
        export(f"hf:{path}", "--input", "3,64,64", "--preprocess", "imagenet", "-o", os.path.join(folder, f"hf_{layer_type}.h5"))
    # transformers' Big Transfer: weight-standardised convolutions and group norm, pre-activation;
    # then with 'SAME' padding, as google/bit-50 is configured: padding after an even map only.
    for same_padding in (False, True):
        path = os.path.join(folder, f"bit_{same_padding}.json")
        zoo.small_hf_bit_config(same_padding).to_json_file(path)
        output = export(f"hf:{path}", "--input", "3,64,64", "--preprocess", "imagenet", "-o",
                        os.path.join(folder, f"hf_bit_{same_padding}.h5"))
        assert_in("weight-standardised convolutions written with their standardised weights", output)


def test_max_pooling_padded_on_one_side(folder):
    path = os.path.join(folder, "padded.py")
    with open(path, "w") as f:
        f.write(PADDED)
    out = os.path.join(folder, "same_pool.h5")
    assert_in("check against PyTorch", export(f"{path}:SamePool", "--input", "3,32,32", "--preprocess", "imagenet", "-o", out))
    with h5py.File(out) as f:
        assert_in('"padding": [0, 0, 1, 1]', f.attrs["architecture"])


def test_the_float64_arbiter_tells_rounding_from_error(folder):
    """PyTorch's own float32 results stand in for an export that rounds as PyTorch does; the
    same results moved by 1% (logits) or with an image's gradient turned stand in for errors."""
    import export_pytorch as ex
    torch.manual_seed(0)
    model = torchvision.models.resnet18(num_classes=10).eval()
    x, labels = torch.randn(4, 3, 32, 32), np.arange(4) % 10
    logits, gradient = ex.logits_and_gradient(model, x, labels)
    sentence, verdict = ex.float64_arbiter(model, x, labels, (logits, gradient), (logits, gradient))
    if not verdict or "the difference is rounding" not in sentence:
        raise AssertionError(f"PyTorch's own float32 results were refused: {sentence}")
    wrong_logits = logits * np.float32(1.01)
    sentence, verdict = ex.float64_arbiter(model, x, labels, (wrong_logits, gradient), (logits, gradient))
    if verdict:
        raise AssertionError(f"logits 1% off were accepted: {sentence}")
    turned = gradient.copy()
    turned[:3] = np.flip(turned[:3], axis=-1)   # three of four images' gradients mirrored
    sentence, verdict = ex.float64_arbiter(model, x, labels, (logits, turned), (logits, gradient))
    if verdict:
        raise AssertionError(f"three wrong gradients of four were accepted: {sentence}")


def test_stochastic_depth_is_recorded(folder):
    out = os.path.join(folder, "sd.h5")
    export("timm:resnet18", "--model-args", '{"drop_path_rate": 0.1, "num_classes": 10}', "--input", "3,32,32",
           "--preprocess", "imagenet", "-o", out)
    assert_in("trained with stochastic depth (7 blocks, drop rates 0.0143 to 0.1)", info(out))


# --- checkpoint forms ---

def test_checkpoint_forms(folder):
    torch.manual_seed(0)
    model = zoo.KuangliuResNet18(width=4)
    um.randomize_batchnorm(model, torch.Generator().manual_seed(1))
    model.eval()
    state = model.state_dict()
    forms = {
        "plain.pth": state,
        "wrapped.pth": {"state_dict": {"module." + k: v for k, v in state.items()}, "best_prec1": 90.0},
        "kuangliu.pth": {"net": state, "acc": 95.0, "epoch": 200},
        "legacy.pth": state,
        "whole.pth": model,
    }
    from safetensors.torch import save_file
    forms["hub.safetensors"] = state   # as timm and Hugging Face publish weights
    for name, value in forms.items():
        path = os.path.join(folder, name)
        if name.endswith(".safetensors"):
            save_file(value, path)
        else:
            torch.save(value, path, **({"_use_new_zipfile_serialization": False} if name == "legacy.pth" else {}))
        out = os.path.join(folder, name + ".h5")
        export(f"{LAYOUTS}:KuangliuResNet18", "--model-args", '{"width": 4}', "--checkpoint", path, "--input", "3,32,32",
               "--preprocess", "cifar10", "-o", out)
        with h5py.File(out) as f:
            if not np.array_equal(f["weights/layer1.0.bn1.running_mean"][()], state["layer1.0.bn1.running_mean"].numpy()):
                raise AssertionError(f"{name}: the exported weights are not the checkpoint's")


def test_a_mean_image_is_exported_and_checked(folder):
    image = np.random.default_rng(1).uniform(100, 150, (3, 32, 32)).astype(np.float32)
    np.save(os.path.join(folder, "mean.npy"), image)
    out = os.path.join(folder, "mean.h5")
    export(f"{LAYOUTS}:KuangliuResNet18", "--model-args", '{"width": 4}', "--input", "3,32,32", "--scale", "1",
           "--mean-image", os.path.join(folder, "mean.npy"), "--std", "58,57,57", "--channel-order", "BGR", "-o", out)
    assert_in("− mean image", info(out))
    with h5py.File(out) as f:
        if not np.array_equal(f["mean_image"][()], image):
            raise AssertionError("the mean image was not stored as given")


# --- errors ---

def test_a_key_mismatch_lists_the_keys(folder):
    assert_fails(folder, [f"{LAYOUTS}:KuangliuResNet18", "--checkpoint", os.path.join(PEER, "resnet20-12fca82f.th"),
                          "--input", "3,32,32", "--preprocess", "imagenet"],
                 "does not fit the model _Kuangliu: ")
    assert_fails(folder, ["torchvision:resnet18", "--checkpoint", os.path.join(PEER, "resnet20-12fca82f.th"),
                          "--input", "3,32,32", "--preprocess", "imagenet"], "37 keys missing: fc.bias, fc.weight")
    # The published ResNet-56 with the depth left at 20: the error names the depth that fits.
    assert_fails(folder, ["cifar-resnet", "--depth", "20", "--option", "A", "--checkpoint",
                          os.path.join(PEER, "resnet56-4bfd9763.th")],
                 "the checkpoint has 9 blocks in each of layer1, layer2, layer3, the model 3: --depth 56?")


def test_an_unsupported_op_names_the_node(folder):
    path = broken_models(folder)
    assert_fails(folder, [f"{path}:Gelu", "--input", "3,8,8", "--preprocess", "none"],
                 "graph node 'gelu' (aten.gelu.default) in module 'block.1': the op 'gelu' has no exact counterpart")


def test_a_forward_that_cannot_be_captured(folder):
    path = broken_models(folder)
    assert_fails(folder, [f"{path}:DataDependent", "--input", "3,8,8", "--preprocess", "none"],
                 "torch.export could not capture the forward pass of DataDependent")


def test_missing_preprocessing_says_what_to_pass(folder):
    assert_fails(folder, ["torchvision:resnet18", "--input", "3,32,32"], "say how stored pixels become network input: --preprocess")
    assert_fails(folder, ["torchvision:resnet18", "--preprocess", "imagenet"], "pass --input C,H,W")


def test_a_check_that_fails_removes_the_file(folder):
    path = broken_models(folder)
    assert_fails(folder, [f"{path}:Drifting", "--input", "3,8,8", "--preprocess", "none"],
                 "the exported network does not match PyTorch")


def test_no_check_says_so(folder):
    output = export("timm:resnet18", "--input", "3,32,32", "--preprocess", "imagenet", "--no-check",
                    "-o", os.path.join(folder, "unchecked.h5"))
    assert_in("not checked against PyTorch: --no-check", output)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--only")
    args = parser.parse_args()
    if not os.access(LESION, os.X_OK):
        raise SystemExit(f"test_export_pytorch: build {LESION} first (make release)")
    import script_tests

    script_tests.run(globals(), "test_export_pytorch", only=args.only, verbose=True)


if __name__ == "__main__":
    main()
