"""What every exporter shares, without PyTorch: the model file's format, declared preprocessing,
the atomic writer, and the `lesion` binary that checks an export (docs/model-format.md)."""
import json
import os

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

FORMAT, FORMAT_VERSION = "unravel-model", 1
IMAGENET_MEAN, IMAGENET_STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
PRESETS = {
    # /255 then ImageNet mean/std: torchvision, timm, and akamaster's CIFAR code use it.
    "imagenet": {"scale": 1 / 255, "mean": IMAGENET_MEAN, "std": IMAGENET_STD},
    "cifar10": {"scale": 1 / 255, "mean": [0.4914, 0.4822, 0.4465], "std": [0.2470, 0.2435, 0.2616]},
    "mnist": {"scale": 1 / 255, "mean": [0.1307], "std": [0.3081]},
    "none": {"scale": 1, "mean": [], "std": []},
}


class ExportError(Exception):
    pass


def preprocessing(preset=None, scale=None, mean=None, std=None, channel_order="RGB", mean_image=None, channels=3):
    """The preprocessing dict for the model file, from a preset or spelled-out numbers."""
    if preset is not None and preset not in PRESETS:
        raise ExportError(f"unknown preprocessing preset '{preset}'; choose one of {', '.join(PRESETS)}")
    if preset is not None and (scale is not None or mean is not None or std is not None):
        raise ExportError("pass either --preprocess or --scale/--mean/--std, not both")
    result = dict(PRESETS[preset]) if preset else {"scale": 1 if scale is None else scale, "mean": mean or [], "std": std or []}
    for key in ("mean", "std"):
        if result[key] and len(result[key]) != channels:
            raise ExportError(f"the {key} has {len(result[key])} values, but the network takes {channels} channels")
    if any(s <= 0 for s in result["std"]):
        raise ExportError("every std must be positive")
    result["channel_order"] = channel_order
    if preset:
        result["preset"] = preset
    if mean_image is not None:
        result["mean_image"] = "mean_image"
    return result


def load_mean_image(path, input_shape):
    image = np.load(path).astype(np.float32)
    if image.shape != tuple(input_shape):
        raise ExportError(f"{path}: the mean image has shape {image.shape}, expected (C, H, W) = {tuple(input_shape)}")
    return image


def parse_input_shape(text):
    """--input C,H,W as a tuple of three positive integers."""
    try:
        shape = tuple(int(v) for v in text.split(","))
        assert len(shape) == 3 and min(shape) > 0
    except (ValueError, AssertionError):
        raise ExportError(f"--input must be C,H,W (three positive integers), not '{text}'") from None
    return shape


def parse_list(text):
    return [float(v) for v in text.split(",")] if text else None


def classes(arch):
    """The number of class scores: the last linear layer's width, or that of a 1x1 convolution
    after the pooling (a classifier written as a convolution, as in timm's ResNetV2)."""
    if "classes" in arch:
        return arch["classes"]
    nodes = arch["graph"]["nodes"]
    pooled = max((i for i, n in enumerate(nodes) if n["op"] == "global_avg_pool"), default=len(nodes))
    for i in reversed(range(len(nodes))):
        if nodes[i]["op"] == "linear" or (nodes[i]["op"] == "conv" and i > pooled):
            return nodes[i]["out"]
    raise ExportError("the network ends in no linear layer (or 1x1 convolution on pooled features) giving class scores")


def write_model(path, arch, arrays, source="", mean_image=None):
    """Writes the model file beside the target and renames it into place: float32 weights under
    their state_dict names (NumPy arrays), and the mean image when the preprocessing has one."""
    tmp = path + ".partial"
    with h5py.File(tmp, "w") as f:
        f.attrs["format"] = FORMAT
        f.attrs["format_version"] = np.int64(FORMAT_VERSION)
        f.attrs["architecture"] = json.dumps(arch)
        f.attrs["source"] = source
        if mean_image is not None:
            f.create_dataset("mean_image", data=np.asarray(mean_image, dtype=np.float32))
        weights = f.create_group("weights")
        for key, value in arrays.items():
            key = key[len("module."):] if key.startswith("module.") else key
            if key.endswith("num_batches_tracked"):
                continue
            weights.create_dataset(key, data=np.asarray(value, dtype=np.float32))
    os.replace(tmp, path)


def lesion_binary():
    for candidate in (os.environ.get("UNRAVEL_LESION"), os.path.join(ROOT, ".build", "release", "lesion"),
                      os.path.join(ROOT, ".build", "debug", "lesion")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    from shutil import which
    found = which("lesion")
    if not found:
        raise ExportError("cannot find the lesion binary to check the export: build it (make release), "
                          "set UNRAVEL_LESION, or pass --no-check")
    return found


def network_input(pixels, prep, mean_image):
    x = pixels * prep["scale"]
    if mean_image is not None:
        x = x - mean_image
    if prep["mean"]:
        x = x - np.asarray(prep["mean"], np.float32)[:, None, None]
    if prep["std"]:
        x = x / np.asarray(prep["std"], np.float32)[:, None, None]
    return np.ascontiguousarray(x, dtype=np.float32)
