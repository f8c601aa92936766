"""He et al.'s ResNet-50 deploy prototxt, through `lesion convert` and `lesion predict`, against
PyTorch running the same network on the same weights (make test-interop; too large to commit).

MSRA's weights are not downloadable here, so the weights are drawn at random and written in both
of Caffe's files (the solver's .caffemodel.h5 and a binary .caffemodel encoded by hand, as
make_caffe_fixtures.py does). The PyTorch network is torchvision's ResNet-50 changed to what the
prototxt says, written out here independently of the Swift reader:
- conv1 has a bias (bias_term defaults to true);
- pool1 is MAX 3x3, stride 2, no padding, and Caffe rounds its output size up (112 -> 56);
- each stage's first block puts its stride in branch2a (the 1x1), not in the 3x3 as torchvision;
- BatchNorm's stored mean and variance are multiplied by the moving-average factor (third blob),
  with gamma and beta in the Scale layer after it.
The pixels are BGR in 0-255; the converted model subtracts a per-channel mean (--mean).

    .build/unravel/venv/bin/python notebooks-export/check_caffe_resnet50.py
"""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import torch
import torch.nn as nn
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import model_file  # noqa: E402
import make_caffe_fixtures as mcf  # noqa: E402
import make_dataset  # noqa: E402

PROTOTXT = os.path.join(ROOT, "Tests", "NetsTests", "Fixtures", "caffe", "ResNet-50-deploy.prototxt")
FACTOR = 999.982   # what Caffe's moving-average factor reaches after a long training
MEAN_BGR = [103.94, 116.78, 123.68]
MAX_LOGIT_ERROR = 1e-4


def msra_resnet50(generator):
    model = torchvision.models.resnet50()
    model.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=True)
    model.maxpool = nn.MaxPool2d(3, 2, 0, ceil_mode=True)
    for stage in (model.layer2, model.layer3, model.layer4):
        stage[0].conv1.stride, stage[0].conv2.stride = (2, 2), (1, 1)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                c = module.num_features
                module.running_mean.copy_(torch.rand(c, generator=generator) * 0.4 - 0.2)
                module.running_var.copy_(torch.rand(c, generator=generator) + 0.5)
                module.weight.copy_(torch.rand(c, generator=generator) * 0.5 + 0.25)
                module.bias.copy_(torch.rand(c, generator=generator) * 0.2 - 0.1)
    return model.eval()


def caffe_blobs(model):
    """(layer name, [arrays]) as Caffe stores them, by the prototxt's names."""
    blobs = []

    def conv(name, module):
        blobs.append((name, [module.weight.detach().numpy()] + ([module.bias.detach().numpy()] if module.bias is not None else [])))

    def bn(suffix, module):
        blobs.append((f"bn{suffix}", [module.running_mean.numpy() * FACTOR, module.running_var.numpy() * FACTOR,
                                      np.array([FACTOR], np.float32)]))
        blobs.append((f"scale{suffix}", [module.weight.detach().numpy(), module.bias.detach().numpy()]))

    conv("conv1", model.conv1)
    bn("_conv1", model.bn1)
    for s, stage in enumerate((model.layer1, model.layer2, model.layer3, model.layer4)):
        for b, block in enumerate(stage):
            name = f"{s + 2}{'abcdef'[b]}"
            for part, c, n in (("2a", block.conv1, block.bn1), ("2b", block.conv2, block.bn2), ("2c", block.conv3, block.bn3)):
                conv(f"res{name}_branch{part}", c)
                bn(f"{name}_branch{part}", n)
            if block.downsample is not None:
                conv(f"res{name}_branch1", block.downsample[0])
                bn(f"{name}_branch1", block.downsample[1])
    blobs.append(("fc1000", [model.fc.weight.detach().numpy(), model.fc.bias.detach().numpy()]))
    return blobs


def run(*arguments):
    result = subprocess.run([model_file.lesion_binary(), *arguments], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"check_caffe_resnet50: lesion {' '.join(arguments)} failed: {result.stderr.strip()}")
    return result


def main():
    generator = torch.Generator().manual_seed(5)
    torch.manual_seed(5)
    model = msra_resnet50(generator)
    blobs = caffe_blobs(model)
    rng = np.random.default_rng(5)
    pixels = rng.integers(0, 256, size=(4, 3, 224, 224)).astype(np.float32)   # BGR
    with torch.no_grad():
        want = model(torch.from_numpy(pixels - np.asarray(MEAN_BGR, np.float32)[:, None, None])).numpy()
    with tempfile.TemporaryDirectory() as folder:
        h5, binary = os.path.join(folder, "resnet50.caffemodel.h5"), os.path.join(folder, "resnet50.caffemodel")
        with h5py.File(h5, "w") as f:
            for name, arrays in blobs:
                for i, array in enumerate(arrays):
                    f[f"data/{name}/{i}"] = np.asarray(array, dtype=np.float32)
        with open(binary, "wb") as f:
            f.write(mcf.caffemodel(blobs))
        data = os.path.join(folder, "bgr.h5")
        with open(os.devnull, "w") as quiet:
            stdout, sys.stdout = sys.stdout, quiet
            try:
                make_dataset.write(data, pixels, np.zeros(4, np.int64), [str(c) for c in range(1000)], "caffe check",
                                   channel_order="BGR")
            finally:
                sys.stdout = stdout
        for weights in (h5, binary):
            model_file, out = os.path.join(folder, "model.h5"), os.path.join(folder, "out.h5")
            run("convert", PROTOTXT, "--weights", weights, "--mean", ",".join(map(str, MEAN_BGR)), "-o", model_file, "--force")
            info = run("info", model_file).stdout
            assert "16 blocks" in info, info
            run("predict", model_file, data, "-o", out, "--quiet", "--force")
            with h5py.File(out) as f:
                ours = f["logits"][()]
            error = float(np.abs(ours - want).max() / np.abs(want).max())
            verdict = "ok" if error <= MAX_LOGIT_ERROR else "FAILED"
            print(f"ResNet-50-deploy.prototxt + {os.path.basename(weights)}: logits within {error:.2e} of PyTorch "
                  f"(largest |logit| {np.abs(want).max():.3g}) {verdict}")
            if error > MAX_LOGIT_ERROR:
                sys.exit(1)


if __name__ == "__main__":
    main()
