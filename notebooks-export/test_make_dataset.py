"""Tests make_dataset.py's loaders on small files made here: a CIFAR-10 python batch, MNIST idx
files (plain and gzipped), and npz arrays in both layouts. `make test` runs it.

    python3 notebooks-export/test_make_dataset.py
"""
import gzip
import os
import pickle
import struct
import subprocess
import sys
import tempfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "make_dataset.py")


def run(*args):
    subprocess.run([sys.executable, SCRIPT, *args], check=True, stdout=subprocess.DEVNULL)


def test_cifar10_batches(folder):
    rng = np.random.default_rng(0)
    data = rng.integers(0, 256, (5, 3072), dtype=np.uint8)
    path = os.path.join(folder, "batch")
    with open(path, "wb") as f:
        pickle.dump({b"data": data, b"labels": [3, 1, 4, 1, 5]}, f)
    run("cifar10", path, path, "-o", os.path.join(folder, "cifar.h5"))
    with h5py.File(os.path.join(folder, "cifar.h5")) as f:
        assert f["images"].shape == (10, 3, 32, 32) and f["images"].dtype == np.uint8
        assert np.array_equal(f["images"][1, 2], data[1, 2048:].reshape(32, 32)), "blue plane of image 1"
        assert list(f["labels"][:5]) == [3, 1, 4, 1, 5]
        assert f["class_names"][3].decode() == "cat"


def write_idx(path, array):
    header = struct.pack(">HBB", 0, 8, array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def test_mnist_idx(folder):
    images = np.arange(3 * 28 * 28).reshape(3, 28, 28) % 256
    write_idx(os.path.join(folder, "images.gz"), images)
    write_idx(os.path.join(folder, "labels"), np.array([7, 2, 1]))
    out = os.path.join(folder, "mnist.h5")
    run("mnist", os.path.join(folder, "images.gz"), os.path.join(folder, "labels"), "--pad-to", "32", "-o", out)
    with h5py.File(out) as f:
        assert f["images"].shape == (3, 1, 32, 32)
        assert np.array_equal(f["images"][2, 0, 2:30, 2:30], images[2]), "digits are centred"
        assert f["images"][0, 0, 0].sum() == 0, "padding is zero"
        assert list(f["labels"][()]) == [7, 2, 1]


def test_npz_layouts(folder):
    x = np.random.default_rng(1).random((4, 8, 8, 3)).astype(np.float32)
    np.savez(os.path.join(folder, "a.npz"), x=x, y=np.array([0, 1, 0, 1]))
    run("npz", os.path.join(folder, "a.npz"), "--layout", "NHWC", "-o", os.path.join(folder, "a.h5"))
    with h5py.File(os.path.join(folder, "a.h5")) as f:
        assert f["images"].dtype == np.float32
        assert np.array_equal(f["images"][()], x.transpose(0, 3, 1, 2))


def main():
    passed = failed = 0
    for name, test in sorted((k, v) for k, v in globals().items() if k.startswith("test_")):
        with tempfile.TemporaryDirectory() as folder:
            try:
                test(folder)
                passed += 1
            except Exception as error:  # report every failure, then fail
                failed += 1
                print(f"FAILED {name}: {type(error).__name__}: {error}")
    print(f"make_dataset: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
