"""Makes the Caffe fixtures in Tests/NetsTests/Fixtures/caffe, with PyTorch as the oracle.

Caffe itself is not installable here. So the network is built twice from one set of weights:
- as Caffe would run it: a prototxt in the layout of the common Caffe CIFAR ResNets (Convolution
  without bias, BatchNorm + Scale, in-place ReLU, Eltwise SUM, an option-B projection where the
  shape changes, global AVE pooling, InnerProduct), its weights written both as the solver's HDF5
  snapshot (.caffemodel.h5: /data/<layer>/0, 1, ...) and as a binary .caffemodel;
- as PyTorch runs it: unravel_models.CifarResNet(20, "B"), whose logits on random inputs are the
  expected values.
The binary file is encoded here by hand from Caffe's field numbers (NetParameter.layer = 100,
LayerParameter.name = 1 and blobs = 7, BlobProto.shape = 7 and data = 5, BlobShape.dim = 1), so
that it does not share a decoder with the Swift side. Batch-norm statistics are stored
multiplied by a scale factor of 2.5 (Caffe's third BatchNorm blob), which the reader must undo.

    .build/unravel/venv/bin/python notebooks-export/make_caffe_fixtures.py Tests/NetsTests/Fixtures/caffe
"""
import os
import sys

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_nets_fixtures as nf  # noqa: E402
import unravel_models as um  # noqa: E402

FACTOR = 2.5


def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number, payload):
    """A length-delimited field (wire type 2)."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def blob(array):
    array = np.asarray(array, dtype=np.float32)
    shape = field(1, b"".join(varint(int(d)) for d in array.shape))          # BlobShape.dim, packed
    return field(7, shape) + field(5, array.astype("<f4").tobytes())       # BlobProto.shape, .data (packed)


def caffemodel(layers):
    """NetParameter bytes: one LayerParameter (name, blobs) per layer."""
    return b"".join(field(100, field(1, name.encode()) + b"".join(field(7, blob(b)) for b in blobs))
                    for name, blobs in layers)


def prototxt_and_blobs(model):
    """The Caffe definition of CifarResNet(20, "B") and each layer's blobs, from its weights."""
    text = ['name: "cifar-resnet20-caffe"',
            'layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 dim: 32 dim: 32 } } }']
    blobs = []

    def conv(name, bottom, module):
        o, _, k, _ = module.weight.shape
        s, p = module.stride[0], module.padding[0]
        text.append(f'layer {{ name: "{name}" type: "Convolution" bottom: "{bottom}" top: "{name}" '
                    f'convolution_param {{ num_output: {o} kernel_size: {k} stride: {s} pad: {p} bias_term: false }} }}')
        blobs.append((name, [module.weight.detach().numpy()]))

    def bn(name, blob_name, module):
        text.append(f'layer {{ name: "bn_{name}" type: "BatchNorm" bottom: "{blob_name}" top: "{blob_name}" '
                    'batch_norm_param { use_global_stats: true } }')
        text.append(f'layer {{ name: "scale_{name}" type: "Scale" bottom: "{blob_name}" top: "{blob_name}" '
                    'scale_param { bias_term: true } }')
        blobs.append((f"bn_{name}", [module.running_mean.numpy() * FACTOR, module.running_var.numpy() * FACTOR,
                                     np.array([FACTOR], dtype=np.float32)]))
        blobs.append((f"scale_{name}", [module.weight.detach().numpy(), module.bias.detach().numpy()]))

    def relu(blob_name):
        text.append(f'layer {{ name: "relu_{blob_name}" type: "ReLU" bottom: "{blob_name}" top: "{blob_name}" }}')

    conv("conv1", "data", model.conv1)
    bn("conv1", "conv1", model.bn1)
    relu("conv1")
    current = "conv1"
    for s, stage in enumerate([model.layer1, model.layer2, model.layer3]):
        for b, block in enumerate(stage):
            name = f"res{s + 2}{'abc'[b]}"
            conv(f"{name}_branch2a", current, block.conv1)
            bn(f"{name}_branch2a", f"{name}_branch2a", block.bn1)
            relu(f"{name}_branch2a")
            conv(f"{name}_branch2b", f"{name}_branch2a", block.conv2)
            bn(f"{name}_branch2b", f"{name}_branch2b", block.bn2)
            shortcut = current
            if len(block.shortcut) > 0:
                conv(f"{name}_branch1", current, block.shortcut[0])
                bn(f"{name}_branch1", f"{name}_branch1", block.shortcut[1])
                shortcut = f"{name}_branch1"
            text.append(f'layer {{ name: "{name}" type: "Eltwise" bottom: "{name}_branch2b" bottom: "{shortcut}" top: "{name}" '
                        'eltwise_param { operation: SUM } }')
            relu(name)
            current = name
    text.append(f'layer {{ name: "pool" type: "Pooling" bottom: "{current}" top: "pool" pooling_param {{ pool: AVE global_pooling: true }} }}')
    text.append('layer { name: "fc" type: "InnerProduct" bottom: "pool" top: "fc" inner_product_param { num_output: 10 } }')
    text.append('layer { name: "prob" type: "Softmax" bottom: "fc" top: "prob" }')
    blobs.append(("fc", [model.linear.weight.detach().numpy(), model.linear.bias.detach().numpy()]))
    return "\n".join(text) + "\n", blobs


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "Tests/NetsTests/Fixtures/caffe"
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    model = um.CifarResNet(20, "B")
    generator = torch.Generator().manual_seed(3)
    um.randomize_batchnorm(model, generator)
    model.eval()
    text, blobs = prototxt_and_blobs(model)
    with open(os.path.join(out, "cifar20.prototxt"), "w") as f:
        f.write(text)
    with h5py.File(os.path.join(out, "cifar20.caffemodel.h5"), "w") as f:
        for name, arrays in blobs:
            for i, array in enumerate(arrays):
                f[f"data/{name}/{i}"] = np.asarray(array, dtype=np.float32)
    with open(os.path.join(out, "cifar20.caffemodel"), "wb") as f:
        f.write(caffemodel(blobs))
    x = nf.well_conditioned_inputs(model, 4, (3, 32, 32), generator)
    with torch.no_grad():
        logits = model(x)
    with h5py.File(os.path.join(out, "cifar20.expected.h5"), "w") as f:
        f["input"] = x.numpy().astype(np.float32)
        f["logits"] = logits.numpy().astype(np.float32)
        f.attrs["torch_version"] = str(torch.__version__)
    print(f"wrote {out}/cifar20.prototxt, .caffemodel.h5, .caffemodel and .expected.h5 ({len(blobs)} layers with blobs)")


if __name__ == "__main__":
    main()
