"""Exports PyTorch networks to Unravel's model file (docs/model-format.md).

The weights are copied as they are, under their state_dict names (OIHW convolutions, [out, in]
linear layers, batch-norm running statistics), and the architecture is written as JSON beside
them. Supported: the CIFAR ResNet code (akamaster naming, options A/B/C, with or without the
"module." prefix of DataParallel), pre-activation ResNets, plain nets and highway nets from
unravel_models.py, and torchvision ResNets (resnet18 ... resnet152, ResNeXt/wide variants).

    python3 notebooks-export/export_pytorch.py cifar-resnet --depth 56 --option A \\
        --checkpoint resnet56-4bfd9763.th -o resnet56.h5
    python3 notebooks-export/export_pytorch.py torchvision --arch resnet50 --checkpoint r50.pth -o r50.h5
"""
import argparse
import json
import os
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import unravel_models as um  # noqa: E402

FORMAT, FORMAT_VERSION = "unravel-model", 1
CIFAR_PREPROCESSING = {"scale": 1 / 255, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
                       "channel_order": "RGB"}


def conv(name, m):
    return {"op": "conv", "name": name, "out": m.out_channels, "kernel": m.kernel_size[0], "stride": m.stride[0],
            "padding": [m.padding[0]], "groups": m.groups, "bias": m.bias is not None}


def bn(name, m):
    return {"op": "batchnorm", "name": name, "eps": m.eps}


RELU = {"op": "relu"}
POOL = {"op": "global_avg_pool"}


def linear(name, m):
    return {"op": "linear", "name": name, "out": m.out_features, "bias": m.bias is not None}


def cifar_resnet(model):
    stem = [conv("conv1", model.conv1), bn("bn1", model.bn1), RELU]
    blocks = []
    for stage in (1, 2, 3):
        for m, block in enumerate(getattr(model, f"layer{stage}")):
            name = f"layer{stage}.{m}"
            branch = [conv(f"{name}.conv1", block.conv1), bn(f"{name}.bn1", block.bn1), RELU,
                      conv(f"{name}.conv2", block.conv2), bn(f"{name}.bn2", block.bn2)]
            spec = {"name": name, "stage": stage, "form": "basic", "branch": branch, "merge_relu": True}
            if not block.has_shortcut:
                spec.update(kind="plain", shortcut={"kind": "none"})
            else:
                spec.update(kind="residual", shortcut=shortcut(block.shortcut, f"{name}.shortcut"))
            blocks.append(spec)
    head = [POOL, linear("linear", model.linear)]
    kind = "plain" if not model.shortcuts else f"resnet option {model.option}"
    return blocks, stem, head, f"CIFAR {kind}-{model.depth}"


def shortcut(module, name):
    if isinstance(module, um.ZeroPadShortcut):
        return {"kind": "zero_pad", "stride": module.stride, "out": module.planes, "placement": module.placement}
    if isinstance(module, nn.Sequential) and len(module) == 0:
        return {"kind": "identity"}
    layers = []
    for index, part in enumerate(module):
        layers.append(conv(f"{name}.{index}", part) if isinstance(part, nn.Conv2d) else bn(f"{name}.{index}", part))
    return {"kind": "projection", "layers": layers}


def preact_resnet(model):
    stem = [conv("conv1", model.conv1)]
    blocks = []
    for stage in (1, 2, 3):
        for m, block in enumerate(getattr(model, f"layer{stage}")):
            name = f"layer{stage}.{m}"
            blocks.append({
                "name": name, "stage": stage, "kind": "residual", "form": "basic",
                "preact": [bn(f"{name}.bn1", block.bn1), RELU],
                "branch": [conv(f"{name}.conv1", block.conv1), bn(f"{name}.bn2", block.bn2), RELU,
                           conv(f"{name}.conv2", block.conv2)],
                "shortcut": shortcut(block.shortcut, f"{name}.shortcut"),
                "shortcut_from": "preact" if block.projection else "input",
                "merge_relu": False,
            })
    head = [bn("bn", model.bn), RELU, POOL, linear("linear", model.linear)]
    return blocks, stem, head, f"CIFAR pre-activation resnet option {model.option}-{model.depth}"


def highway_net(model):
    stem = [conv("conv1", model.conv1), bn("bn1", model.bn1), RELU]
    blocks = []
    for stage in (1, 2, 3):
        if stage > 1:
            down = getattr(model, f"down{stage}")
            blocks.append({"name": f"down{stage}", "stage": stage, "kind": "plain", "form": "transition",
                           "branch": [conv(f"down{stage}.conv", down.conv), bn(f"down{stage}.bn", down.bn), RELU],
                           "shortcut": {"kind": "none"}})
        for m, layer in enumerate(getattr(model, f"layer{stage}")):
            name = f"layer{stage}.{m}"
            blocks.append({"name": name, "stage": stage, "kind": "highway", "form": "highway",
                           "branch": [conv(f"{name}.conv", layer.conv), bn(f"{name}.bn", layer.bn), RELU],
                           "gate": conv(f"{name}.gate", layer.gate)})
    head = [POOL, linear("linear", model.linear)]
    return blocks, stem, head, f"convolutional highway net, {model.layers_per_stage} layers per stage"


def torchvision_resnet(model):
    from torchvision.models.resnet import BasicBlock, Bottleneck

    stem = [conv("conv1", model.conv1), bn("bn1", model.bn1), RELU,
            {"op": "maxpool", "kernel": 3, "stride": 2, "padding": [1]}]
    blocks = []
    for stage in (1, 2, 3, 4):
        for m, block in enumerate(getattr(model, f"layer{stage}")):
            name = f"layer{stage}.{m}"
            branch = [conv(f"{name}.conv1", block.conv1), bn(f"{name}.bn1", block.bn1), RELU,
                      conv(f"{name}.conv2", block.conv2), bn(f"{name}.bn2", block.bn2)]
            if isinstance(block, Bottleneck):
                branch += [RELU, conv(f"{name}.conv3", block.conv3), bn(f"{name}.bn3", block.bn3)]
            elif not isinstance(block, BasicBlock):
                raise SystemExit(f"export_pytorch: {name} is a {type(block).__name__}, not a torchvision block")
            sc = {"kind": "identity"}
            if block.downsample is not None:
                sc = {"kind": "projection", "layers": [conv(f"{name}.downsample.0", block.downsample[0]),
                                                       bn(f"{name}.downsample.1", block.downsample[1])]}
            blocks.append({"name": name, "stage": stage, "kind": "residual",
                           "form": "bottleneck" if isinstance(block, Bottleneck) else "basic",
                           "branch": branch, "shortcut": sc, "merge_relu": True})
    head = [POOL, linear("fc", model.fc)]
    return blocks, stem, head, "torchvision ResNet"


def architecture(model, input_shape, preprocessing=None, name=None):
    """The architecture JSON (as a dict) for a supported model."""
    from torchvision.models.resnet import ResNet

    if isinstance(model, um.CifarResNet):
        blocks, stem, head, default = cifar_resnet(model)
    elif isinstance(model, um.PreActResNet):
        blocks, stem, head, default = preact_resnet(model)
    elif isinstance(model, um.HighwayNet):
        blocks, stem, head, default = highway_net(model)
    elif isinstance(model, ResNet):
        blocks, stem, head, default = torchvision_resnet(model)
    else:
        raise SystemExit(f"export_pytorch: no exporter for {type(model).__name__}")
    channels, height, width = input_shape
    classes = head[-1]["out"]
    return {"name": name or default, "input": {"channels": channels, "height": height, "width": width},
            "preprocessing": preprocessing or {"scale": 1, "mean": [], "std": [], "channel_order": "RGB"},
            "stem": stem, "blocks": blocks, "head": head, "classes": classes}


def write_model(path, arch, state_dict, source=""):
    """Writes the model file; weights as float32 under their state_dict names."""
    tmp = path + ".partial"
    with h5py.File(tmp, "w") as f:
        f.attrs["format"] = FORMAT
        f.attrs["format_version"] = np.int64(FORMAT_VERSION)
        f.attrs["architecture"] = json.dumps(arch)
        f.attrs["source"] = source
        weights = f.create_group("weights")
        for key, value in state_dict.items():
            key = key[len("module."):] if key.startswith("module.") else key
            if key.endswith("num_batches_tracked"):
                continue
            weights.create_dataset(key, data=value.detach().cpu().numpy().astype(np.float32))
    os.replace(tmp, path)


def load_checkpoint(path):
    state = torch.load(path, map_location="cpu", weights_only=False)
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    if isinstance(state, nn.Module):
        state = state.state_dict()
    return {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("family", choices=["cifar-resnet", "preact-resnet", "plain", "highway", "torchvision"])
    parser.add_argument("--depth", type=int, default=20)
    parser.add_argument("--option", default="A", choices=["A", "B", "C"])
    parser.add_argument("--placement", default="split", choices=["split", "append"])
    parser.add_argument("--layers-per-stage", type=int, default=3)
    parser.add_argument("--arch", default="resnet18", help="torchvision constructor name")
    parser.add_argument("--classes", type=int, default=None)
    parser.add_argument("--size", type=int, default=None, help="input height and width")
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args()

    state = load_checkpoint(args.checkpoint)
    if args.family != "torchvision":
        # Option-B variants of the CIFAR code name the projection downsample.0/1 instead of shortcut.0/1.
        state = {k.replace(".downsample.", ".shortcut."): v for k, v in state.items()}
    if args.family == "torchvision":
        import torchvision
        classes = args.classes or state["fc.weight"].shape[0]
        model = getattr(torchvision.models, args.arch)(num_classes=classes)
        size = args.size or 224
        preprocessing = {"scale": 1 / 255, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
                         "channel_order": "RGB"}
    else:
        classes = args.classes or state["linear.weight"].shape[0]
        in_channels = state["conv1.weight"].shape[1]
        model = {"cifar-resnet": lambda: um.CifarResNet(args.depth, args.option, args.placement, classes, True, in_channels),
                 "preact-resnet": lambda: um.PreActResNet(args.depth, args.option, args.placement, classes, in_channels),
                 "plain": lambda: um.PlainNet(args.depth, classes, in_channels),
                 "highway": lambda: um.HighwayNet(args.layers_per_stage, classes, in_channels)}[args.family]()
        size = args.size or 32
        preprocessing = CIFAR_PREPROCESSING
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise SystemExit(f"export_pytorch: {args.checkpoint} does not fit {args.family}: "
                         f"missing {missing[:3]}, unexpected {unexpected[:3]}")
    channels = model.conv1.weight.shape[1]
    write_model(args.output, architecture(model, (channels, size, size), preprocessing), model.state_dict(),
                source=f"exported from {os.path.basename(args.checkpoint)}")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
