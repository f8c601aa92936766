"""Exports a PyTorch network to Unravel's model file (docs/model-format.md), whatever defines it.

    python3 notebooks-export/export_pytorch.py MODEL [--checkpoint CKPT] --input C,H,W \\
        --preprocess PRESET -o OUT.h5

MODEL is one of
    torchvision:resnet50          a torchvision constructor
    timm:resnet50d                a timm model (timm from PyPI)
    hf:config.json                a Hugging Face transformers model built offline from its config
    path/to/file.py:Name          your own class or function, called with --model-args '{"depth": 56}'
    cifar-resnet | preact-resnet | plain | highway | torchvision
                                  the reference families, with --depth, --option, --arch ... as before

The forward pass is captured with torch.export; the captured layer graph is written into the
model file, and Unravel finds the residual blocks in it (from the add nodes) when it loads it.
Preprocessing is declared, never guessed: --preprocess imagenet|cifar10|mnist|none, or --scale,
--mean, --std (and --mean-image mean.npy for a per-pixel mean). After writing, the export checks
itself: PyTorch and `lesion predict` run on the same random inputs, and the file is removed unless
the logits agree to 1e-4 (relative) and the input gradients to a cosine of 0.99999, or, where
they do not, unless PyTorch in float64 shows the difference is rounding (the export as close to
float64 as PyTorch's own float32).

Examples:
    python3 notebooks-export/export_pytorch.py path/to/resnet.py:resnet20 \\
        --checkpoint resnet20-12fca82f.th --input 3,32,32 --preprocess imagenet -o resnet20.h5
    python3 notebooks-export/export_pytorch.py timm:resnet18d --model-args '{"num_classes": 10}' \\
        --input 3,224,224 --preprocess imagenet -o resnet18d.h5
    python3 notebooks-export/export_pytorch.py cifar-resnet --depth 56 --option A \\
        --checkpoint resnet56-4bfd9763.th -o resnet56.h5

Exit status: 0 written and checked; 1 the export failed (the message says why; nothing is
written); 2 bad usage.
"""
import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import graph_capture  # noqa: E402
import unravel_models as um  # noqa: E402
from model_file import (PRESETS, ExportError, classes, lesion_binary, load_mean_image,  # noqa: E402
                        parse_list, preprocessing)
import model_file  # noqa: E402

FAMILIES = ("cifar-resnet", "preact-resnet", "plain", "highway", "torchvision")
FAMILY_PRESET = "imagenet"   # what the family forms have always written
MAX_LOGIT_ERROR, MIN_GRADIENT_COSINE = 1e-4, 0.99999


# --- the model file ---

def write_model(path, arch, state_dict, source="", mean_image=None):
    """Writes a PyTorch state_dict as the model file's weights (model_file.write_model)."""
    model_file.write_model(path, arch, {key: value.detach().cpu().numpy() for key, value in state_dict.items()},
                           source=source, mean_image=mean_image)


def network_input(pixels, prep, mean_image):
    return torch.from_numpy(model_file.network_input(pixels, prep, mean_image))


# --- models ---

def _import_file(path):
    if not os.path.exists(path):
        raise ExportError(f"{path}: no such file")
    spec = importlib.util.spec_from_file_location(os.path.splitext(os.path.basename(path))[0], path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    spec.loader.exec_module(module)
    return module


def build_model(source, model_args):
    """An nn.Module from 'torchvision:NAME', 'timm:NAME', 'hf:CONFIG.json' or 'file.py:NAME'."""
    kind, _, name = source.partition(":")
    if kind == "torchvision":
        import torchvision
        if not hasattr(torchvision.models, name):
            raise ExportError(f"torchvision has no model '{name}'")
        return getattr(torchvision.models, name)(**model_args), None
    if kind == "timm":
        try:
            import timm
        except ImportError:
            raise ExportError("timm is not installed: pip install timm") from None
        if not timm.is_model(name):
            raise ExportError(f"timm has no model '{name}'")
        return timm.create_model(name, pretrained=False, **model_args), None
    if kind == "hf":
        try:
            import transformers
        except ImportError:
            raise ExportError("transformers is not installed: pip install transformers") from None
        with open(name) as f:
            model_type = json.load(f).get("model_type")
        if model_type is None:
            raise ExportError(f"{name}: the config has no model_type")
        config = transformers.AutoConfig.for_model(model_type).from_json_file(name)
        return transformers.AutoModelForImageClassification.from_config(config), None
    path, _, attribute = source.rpartition(":")
    if path.endswith(".py") and attribute:
        module = _import_file(path)
        if not hasattr(module, attribute):
            raise ExportError(f"{path} defines no '{attribute}'")
        model = getattr(module, attribute)(**model_args)
        if not isinstance(model, nn.Module):
            raise ExportError(f"{path}:{attribute} returned a {type(model).__name__}, not an nn.Module")
        return model, module
    raise ExportError(f"MODEL '{source}' is not torchvision:NAME, timm:NAME, hf:CONFIG.json, file.py:NAME "
                      f"or one of {', '.join(FAMILIES)}")


def family_model(args, state):
    """The reference families of unravel_models.py and torchvision, as before."""
    if args.model == "torchvision":
        import torchvision
        classes = args.classes or (state["fc.weight"].shape[0] if state else 1000)
        return getattr(torchvision.models, args.arch)(num_classes=classes), (3, args.size or 224, args.size or 224)
    if state:
        # Option-B variants of the CIFAR code name the projection downsample.0/1 instead of shortcut.0/1.
        state.update({k.replace(".downsample.", ".shortcut."): state.pop(k) for k in list(state) if ".downsample." in k})
    classes = args.classes or (state["linear.weight"].shape[0] if state else 10)
    channels = state["conv1.weight"].shape[1] if state else 3
    model = {"cifar-resnet": lambda: um.CifarResNet(args.depth, args.option, args.placement, classes, True, channels),
             "preact-resnet": lambda: um.PreActResNet(args.depth, args.option, args.placement, classes, channels),
             "plain": lambda: um.PlainNet(args.depth, classes, channels),
             "highway": lambda: um.HighwayNet(args.layers_per_stage, classes, channels)}[args.model]()
    return model, (channels, args.size or 32, args.size or 32)


def plain_blocks(model):
    """Modules that are blocks without a shortcut: the reference plain network's blocks and the
    highway network's transitions. No add node marks them, so the exporter names them."""
    return [name for name, m in model.named_modules()
            if (isinstance(m, um.BasicBlock) and not m.has_shortcut) or isinstance(m, um.Transition)]


# --- checkpoints ---

def load_checkpoint(path, user_module=None):
    """A state_dict from any of the forms checkpoints come in: a state_dict, {'state_dict': ...}
    (or 'model', 'net', 'model_state_dict'), a whole pickled module; zip or legacy pickle; saved on
    CUDA (mapped to the CPU); with DataParallel's 'module.' prefixes; or safetensors, as timm and
    Hugging Face save weights."""
    if not os.path.exists(path):
        raise ExportError(f"{path}: no such checkpoint")
    state = read_safetensors(path) if path.endswith(".safetensors") else read_torch(path, user_module)
    if isinstance(state, nn.Module):
        state = state.state_dict()
    if isinstance(state, dict):
        for key in ("state_dict", "model_state_dict", "model", "net"):
            if key in state and isinstance(state[key], (dict, nn.Module)):
                state = state[key]
                state = state.state_dict() if isinstance(state, nn.Module) else state
                break
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ExportError(f"{path}: holds no state_dict (found {type(state).__name__}"
                          + (f" with keys {sorted(state)[:6]}" if isinstance(state, dict) else "") + ")")
    return {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}


def read_safetensors(path):
    """The tensors of a safetensors file, as timm and Hugging Face publish weights."""
    try:
        from safetensors.torch import load_file
    except ImportError:
        raise ExportError(f"{path}: reading safetensors needs the package: pip install safetensors") from None
    try:
        return load_file(path, device="cpu")
    except Exception as error:
        raise ExportError(f"{path}: cannot be read as safetensors: {type(error).__name__}: {error}") from None


def read_torch(path, user_module):
    """What torch.save wrote: weights only if it can, else the whole pickle."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception:
        # A whole pickled module needs its class: the user's file provides it when it was saved
        # from a script (the pickle then refers to __main__).
        if user_module is not None:
            main = sys.modules["__main__"]
            for key, value in vars(user_module).items():
                if isinstance(value, type) and not hasattr(main, key):
                    setattr(main, key, value)
        try:
            return torch.load(path, map_location="cpu", weights_only=False)
        except Exception as error:
            raise ExportError(f"{path}: cannot be read by torch.load: {type(error).__name__}: {error}") from None


def blocks_per_stage(keys):
    """{"layer1": 9, ...}: how many blocks each layerN of a ResNet-style state_dict holds."""
    found = {}
    for key in keys:
        match = re.match(r"(layer\d+)\.(\d+)\.", key)
        if match:
            found[match.group(1)] = max(found.get(match.group(1), 0), int(match.group(2)) + 1)
    return found


def depth_hint(checkpoint, model, family_depth=False):
    """When the stages hold other numbers of blocks, says so; for a family form of three stages
    of basic blocks with n in each (`family_depth`), the --depth 6n + 2 that fits."""
    if not checkpoint or not model or checkpoint == model:
        return ""
    if len(set(checkpoint.values())) == 1 and len(set(model.values())) == 1 and sorted(checkpoint) == sorted(model):
        n, m = next(iter(checkpoint.values())), next(iter(model.values()))
        depth = f": --depth {6 * n + 2}?" if family_depth and len(checkpoint) == 3 else ""
        return f" (the checkpoint has {n} blocks in each of {', '.join(sorted(checkpoint))}, the model {m}{depth})"
    describe = lambda stages: ", ".join(f"{k} {v}" for k, v in sorted(stages.items()))
    return f" (blocks per stage: the checkpoint {describe(checkpoint)}, the model {describe(model)})"


def load_strictly(model, state, path, family_depth=False):
    """Every key must match; missing or unexpected keys are listed and the export stops.
    Batch-norm counters (num_batches_tracked) are bookkeeping and may be absent. `family_depth`:
    the model is a family form built from --depth, which a mismatch may then suggest."""
    def bookkeeping(key):
        return key.endswith("num_batches_tracked")
    expected = {k: v for k, v in model.state_dict().items()}
    missing = sorted(k for k in expected if k not in state and not bookkeeping(k))
    unexpected = sorted(k for k in state if k not in expected and not bookkeeping(k))
    wrong = sorted(f"{k} {list(state[k].shape)} (the model has {list(expected[k].shape)})"
                   for k in state if k in expected and state[k].shape != expected[k].shape)
    problems = []
    for label, keys in (("missing", missing), ("unexpected", unexpected), ("of the wrong shape", wrong)):
        if keys:
            shown = ", ".join(keys[:8]) + (f", ... ({len(keys)} in all)" if len(keys) > 8 else "")
            problems.append(f"{len(keys)} keys {label}: {shown}")
    if problems:
        hint = " (a different num_classes? pass --model-args '{\"num_classes\": N}')" if wrong else ""
        hint += depth_hint(blocks_per_stage(state), blocks_per_stage(expected), family_depth)
        raise ExportError(f"{path} does not fit the model {type(model).__name__}: " + "; ".join(problems) + hint)
    model.load_state_dict({k: v for k, v in state.items() if k in expected}, strict=False)


# --- the model file ---

def architecture(model, input_shape, preprocessing=None, name=None, plain=None, nodes=None):
    """The architecture (a dict) in the graph form: what torch.export captured (or `nodes`, when
    already captured), for Unravel's block finder. `plain` names the modules that are blocks
    without shortcuts."""
    model.eval()
    if nodes is None:
        nodes, _, _ = graph_capture.capture(model, tuple(input_shape))
    channels, height, width = input_shape
    arch = {"name": name or type(model).__name__, "input": {"channels": channels, "height": height, "width": width},
            "preprocessing": preprocessing or {"scale": 1, "mean": [], "std": [], "channel_order": "RGB"},
            "graph": {"nodes": nodes, "plain_blocks": plain_blocks(model) if plain is None else plain}}
    trained = graph_capture.stochastic_depth(model)
    if trained:
        arch["trained_with"] = [trained]
    return arch


# --- the self-check ---

def relu_margin(program, x):
    """The smallest |input| any ReLU of the captured graph sees in this image, relative to the
    largest in the same tensor. Exact zeros are left out: they come from sums of exact zeros
    (a zero-initialised batch norm's output, say), which every engine computes exactly."""
    smallest = [float("inf")]

    class Watch(torch.fx.Interpreter):
        def call_function(self, target, args, kwargs):
            if graph_capture.target_name(target) in ("relu", "relu_"):
                flat = args[0].detach().abs().flatten()
                nonzero = flat[flat > 0]
                if nonzero.numel():
                    smallest[0] = min(smallest[0], float(nonzero.min() / flat.max()))
            return super().call_function(target, args, kwargs)

    with torch.no_grad():
        Watch(program.module()).run(x)
    return smallest[0]


def check(model, program, path, prep, mean_image, input_shape, classes, batch=8, margin=1e-7, tries=50):
    """Runs PyTorch and `lesion predict` on the same random inputs; gives the largest relative
    logit difference and each image's input-gradient cosine. Images with a ReLU input within
    `margin` (relative) of zero are redrawn: there any re-association of float32 arithmetic
    (oneDNN's fused add, batch norm folded into the convolution) may flip that ReLU and move the
    image's gradient by percents, which tests rounding, not the export (docs/model-format.md,
    "Numerics"). The margin cannot be wider than about 1e-7 (deep networks have few images whose
    ReLU inputs all keep further from zero), and rounding differences reach 1e-6, so an image
    may still flip: the caller asks half the images' gradients to match, not all."""
    generator = np.random.default_rng(0)
    pixel_scale = prep["scale"] < 0.5 or mean_image is not None or any(abs(m) > 1 for m in prep["mean"])

    def draw():
        if pixel_scale:
            return generator.integers(0, 256, size=input_shape).astype(np.float32)
        return generator.standard_normal(input_shape).astype(np.float32)

    images = []
    for _ in range(batch * tries):
        pixels = draw()
        if relu_margin(program, network_input(pixels[None], prep, mean_image)) >= margin:
            images.append(pixels)
        if len(images) == batch:
            break
    if len(images) < batch:
        raise ExportError(f"could not draw {batch} random images clear of every ReLU's kink in {batch * tries} tries, "
                          "so the check cannot tell rounding from error; --no-check skips it")
    pixels = np.stack(images)
    labels = np.arange(batch) % classes
    import make_dataset
    with tempfile.TemporaryDirectory() as folder:
        data, out = os.path.join(folder, "check.data.h5"), os.path.join(folder, "check.out.h5")
        with open(os.devnull, "w") as quiet:
            stdout = sys.stdout
            sys.stdout = quiet
            try:
                make_dataset.write(data, pixels, labels, [str(c) for c in range(classes)], "export check",
                                   channel_order=prep["channel_order"])
            finally:
                sys.stdout = stdout
        run = subprocess.run([lesion_binary(), "predict", path, data, "-o", out, "--input-gradients", "--quiet"],
                             capture_output=True, text=True)
        if run.returncode != 0:
            raise ExportError(f"lesion predict could not run the exported file: {run.stderr.strip()}")
        with h5py.File(out) as f:
            ours, our_gradient = f["logits"][()], f["input_gradients"][()]
    x = network_input(pixels, prep, mean_image)
    theirs, their_gradient = logits_and_gradient(model, x, labels)
    logit_error, cosines = distances(ours, our_gradient, theirs, their_gradient)
    return Check(logit_error, cosines, lambda: float64_arbiter(model, x, labels, (ours, our_gradient),
                                                               (theirs, their_gradient)))


class Check:
    """The check's measures against PyTorch in float32, and, asked for when they fail, the
    float64 arbiter's verdict (a sentence, and whether the export passes)."""

    def __init__(self, logit_error, cosines, arbiter):
        self.logit_error, self.cosines, self.arbiter = logit_error, cosines, arbiter


def logits_and_gradient(model, x, labels):
    """Logits and the input gradient of the summed cross-entropy, as numpy arrays."""
    x = x.detach().clone().requires_grad_(True)
    logits = model(x)
    if hasattr(logits, "logits"):
        logits = logits.logits
    (gradient,) = torch.autograd.grad(nn.functional.cross_entropy(logits, torch.from_numpy(labels), reduction="sum"), x)
    return logits.detach().numpy(), gradient.numpy()


def distances(logits, gradient, reference_logits, reference_gradient):
    """The largest logit difference relative to the reference's largest logit, and each image's
    input-gradient cosine with the reference's."""
    logit_error = float(np.abs(logits - reference_logits).max() / max(np.abs(reference_logits).max(), 1e-30))
    batch = len(logits)
    a, b = gradient.reshape(batch, -1).astype(np.float64), reference_gradient.reshape(batch, -1).astype(np.float64)
    cosines = (a * b).sum(1) / np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1e-300)
    return logit_error, cosines


ROUNDING_FACTOR = 4   # how much further from float64 than PyTorch's own float32 the export may be


def float64_arbiter(model, x, labels, ours, theirs):
    """Whether a refused export is rounding or error: PyTorch in float64 is the truth both float32
    engines approximate. The export passes if its logits are as close to float64's as PyTorch's
    float32 ones are (within ROUNDING_FACTOR times, or the check's own tolerance), and so are
    the input gradients of at least half the images. An export error is orders of magnitude
    further off than rounding (docs/model-format.md, "Numerics")."""
    import copy
    try:
        exact = copy.deepcopy(model).double()
        reference = logits_and_gradient(exact, x.double(), labels)
    except Exception as error:  # a module that cannot run in float64 (a float32 constant inside)
        return f"PyTorch could not run the network in float64 to tell rounding from error ({type(error).__name__})", False
    our_logits, our_cosines = distances(*ours, *reference)
    their_logits, their_cosines = distances(*theirs, *reference)
    logits_ok = our_logits <= max(MAX_LOGIT_ERROR, ROUNDING_FACTOR * their_logits)
    slack = np.maximum(1 - MIN_GRADIENT_COSINE, ROUNDING_FACTOR * (1 - their_cosines))
    matching, quorum = int((1 - our_cosines <= slack).sum()), len(our_cosines) // 2
    verdict = logits_ok and matching >= quorum
    return (f"against PyTorch in float64: Unravel's logits differ by {our_logits:.2e}, PyTorch's float32 ones by "
            f"{their_logits:.2e}; {matching} of {len(our_cosines)} images' input gradients as close as PyTorch's float32 "
            f"ones (within {ROUNDING_FACTOR}x; {quorum} must be): "
            + ("the difference is rounding, and the export stands" if verdict else "the export is wrong")), verdict


# --- the command ---

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", metavar="MODEL")
    parser.add_argument("--checkpoint", help="the trained weights (state_dict, {'state_dict': ...}, or a pickled module)")
    parser.add_argument("--model-args", default="{}", help="JSON keyword arguments for MODEL's constructor")
    parser.add_argument("--input", help="C,H,W: the input size the network is run at")
    parser.add_argument("--preprocess", choices=sorted(PRESETS), help="how stored pixels become network input")
    parser.add_argument("--scale", type=float, help="network input = (pixel * scale - mean) / std")
    parser.add_argument("--mean", type=parse_list, help="per-channel means, comma-separated")
    parser.add_argument("--std", type=parse_list, help="per-channel standard deviations, comma-separated")
    parser.add_argument("--mean-image", help="a (C, H, W) .npy per-pixel mean, subtracted after scaling")
    parser.add_argument("--channel-order", default="RGB", choices=["RGB", "BGR"])
    parser.add_argument("--plain-blocks", default="", help="comma-separated module paths that are blocks without shortcuts")
    parser.add_argument("--name", help="the network's name in reports")
    parser.add_argument("--no-check", action="store_true", help="skip the check against PyTorch (huge models)")
    parser.add_argument("-o", "--output", required=True)
    family = parser.add_argument_group("the reference families (cifar-resnet, preact-resnet, plain, highway, torchvision)")
    family.add_argument("--depth", type=int, default=20)
    family.add_argument("--option", default="A", choices=["A", "B", "C"])
    family.add_argument("--placement", default="split", choices=["split", "append"])
    family.add_argument("--layers-per-stage", type=int, default=3)
    family.add_argument("--arch", default="resnet18", help="torchvision constructor name")
    family.add_argument("--classes", type=int, default=None)
    family.add_argument("--size", type=int, default=None, help="input height and width")
    args = parser.parse_args(argv)
    try:
        export(args)
    except (ExportError, graph_capture.CaptureError) as error:
        print(f"export_pytorch: {error}", file=sys.stderr)
        return 1
    return 0


def export(args):
    if os.path.exists(args.output + ".partial"):
        os.remove(args.output + ".partial")
    try:
        model_args = json.loads(args.model_args)
    except json.JSONDecodeError as error:
        raise ExportError(f"--model-args is not JSON: {error}") from None
    user_module = None
    spelled = args.scale is not None or args.mean is not None or args.std is not None
    if args.model in FAMILIES:
        state = load_checkpoint(args.checkpoint) if args.checkpoint else None
        model, input_shape = family_model(args, state)
        preset = args.preprocess or (None if spelled else FAMILY_PRESET)
        if not args.preprocess and not spelled:
            print(f"export_pytorch: preprocessing '{FAMILY_PRESET}' (the {args.model} form's default; "
                  "pass --preprocess or --scale/--mean/--std to change it)", file=sys.stderr)
    else:
        model, user_module = build_model(args.model, model_args)
        state = load_checkpoint(args.checkpoint, user_module) if args.checkpoint else None
        if not args.input:
            raise ExportError("pass --input C,H,W: the size the network runs at (e.g. 3,32,32 for CIFAR, 3,224,224 for ImageNet)")
        preset = args.preprocess
        if preset is None and not spelled:
            raise ExportError("say how stored pixels become network input: --preprocess imagenet (/255, ImageNet "
                              "mean/std: torchvision, timm, akamaster), cifar10, mnist or none, or --scale/--mean/--std")
    if args.input:
        input_shape = model_file.parse_input_shape(args.input)
    if state is not None:
        load_strictly(model, state, args.checkpoint, family_depth=args.model in ("cifar-resnet", "preact-resnet", "plain"))
    else:
        print("export_pytorch: no --checkpoint: exporting the model's own (random) weights", file=sys.stderr)
    model.eval()
    mean_image = load_mean_image(args.mean_image, input_shape) if args.mean_image else None
    prep = preprocessing(preset, args.scale, args.mean, args.std, args.channel_order, mean_image, channels=input_shape[0])
    plain = [m for m in args.plain_blocks.split(",") if m] or (plain_blocks(model) if args.model in FAMILIES else [])
    modules = dict(model.named_modules())
    for name in plain:
        if name not in modules:
            raise ExportError(f"--plain-blocks names '{name}', which is not a module of {type(model).__name__}")
    # The file holds what the network computes with: weights a module standardises at each call
    # are written standardised. The check below runs the model as given.
    written, standardized = graph_capture.standardized_weights(model)
    if standardized:
        print(f"export_pytorch: {standardized} weight-standardised convolutions written with their "
              "standardised weights", file=sys.stderr)
    nodes, _, program = graph_capture.capture(written, input_shape)
    arch = architecture(written, input_shape, prep, name=args.name or default_name(args), plain=plain, nodes=nodes)
    source = f"export_pytorch.py {args.model}" + (f" from {os.path.basename(args.checkpoint)}" if args.checkpoint else " (random weights)")
    write_model(args.output, arch, written.state_dict(), source=source, mean_image=mean_image)
    if args.no_check:
        print(f"wrote {args.output} (not checked against PyTorch: --no-check)")
        return
    try:
        measured = check(model, program, args.output, prep, mean_image, input_shape, classes(arch))
        logit_error, cosines = measured.logit_error, measured.cosines
        # An export error moves every image's logits and gradient; a ReLU flipped by rounding, one image's gradient.
        matching, quorum = int((cosines >= MIN_GRADIENT_COSINE).sum()), len(cosines) // 2
        verdict = logit_error <= MAX_LOGIT_ERROR and matching >= quorum
        print(f"check against PyTorch on {len(cosines)} images: largest relative logit difference {logit_error:.2e} "
              f"(at most {MAX_LOGIT_ERROR:g}); input-gradient cosines {cosines.min():.9f} to {cosines.max():.9f}, "
              f"{matching} at least {MIN_GRADIENT_COSINE} ({quorum} must be)")
        if not verdict:
            sentence, verdict = measured.arbiter()
            print(f"check {sentence}")
    except BaseException:
        os.remove(args.output)
        raise
    if not verdict:
        os.remove(args.output)
        raise ExportError(f"the exported network does not match PyTorch; {args.output} was removed")
    print(f"wrote {args.output}")


def default_name(args):
    if args.model == "cifar-resnet":
        return f"CIFAR resnet option {args.option}-{args.depth}"
    if args.model == "preact-resnet":
        return f"CIFAR pre-activation resnet option {args.option}-{args.depth}"
    if args.model == "plain":
        return f"CIFAR plain-{args.depth}"
    if args.model == "highway":
        return f"convolutional highway net, {args.layers_per_stage} layers per stage"
    if args.model == "torchvision":
        return f"torchvision {args.arch}"
    kind, _, name = args.model.partition(":")
    if kind in ("torchvision", "timm"):
        return f"{kind} {name}"
    if kind == "hf":
        return f"transformers ResNet ({os.path.basename(name)})"
    return args.model.rpartition(":")[2]


if __name__ == "__main__":
    sys.exit(main())
