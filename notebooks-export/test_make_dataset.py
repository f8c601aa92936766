"""Tests make_dataset.py's loaders on small files made here: a CIFAR-10 python batch and the
folder torchvision leaves, MNIST idx files (plain and gzipped), npz arrays in both layouts, and
image folders (class folders or a labels file; resize and center crop). `make test` runs it.

    python3 notebooks-export/test_make_dataset.py
"""
import gzip
import os
import pickle
import struct
import subprocess
import sys

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


def test_chunks_hold_whole_images_and_at_most_about_4_mib(folder):
    sys.path.insert(0, HERE)
    import make_dataset

    big = np.zeros((20, 3, 224, 224), dtype=np.float32)
    make_dataset.write(os.path.join(folder, "big.h5"), big, np.zeros(20), ["a"], "test")
    small = np.zeros((300, 3, 32, 32), dtype=np.uint8)
    make_dataset.write(os.path.join(folder, "small.h5"), small, np.zeros(300), ["a"], "test")
    with h5py.File(os.path.join(folder, "big.h5")) as f:
        assert f["images"].chunks == (6, 3, 224, 224), f["images"].chunks
    with h5py.File(os.path.join(folder, "small.h5")) as f:
        assert f["images"].chunks == (256, 3, 32, 32), f["images"].chunks
    assert make_dataset.chunk_rows(3, 3 * 32 * 32) == 3 and make_dataset.chunk_rows(1, 50 << 20) == 1


def test_torchvision_cifar10_folder(folder):
    root = os.path.join(folder, "cifar-10-batches-py")
    os.makedirs(root)
    data = np.random.default_rng(2).integers(0, 256, (2, 3072), dtype=np.uint8)
    with open(os.path.join(root, "test_batch"), "wb") as f:
        pickle.dump({b"data": data, b"labels": [9, 0]}, f)
    out = os.path.join(folder, "test.h5")
    run("torchvision-cifar10", folder, "--split", "test", "-o", out)
    with h5py.File(out) as f:
        assert np.array_equal(f["images"][()], data.reshape(2, 3, 32, 32)) and list(f["labels"][()]) == [9, 0]
    result = subprocess.run([sys.executable, SCRIPT, "torchvision-cifar10", folder, "--split", "train", "-o", out],
                            capture_output=True, text=True)
    assert result.returncode != 0 and "data_batch_1 is missing" in result.stderr, result.stderr


def _picture(path, width, height, left_colour, right_colour):
    """A picture whose left and right halves have two colours."""
    from PIL import Image

    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[:, : width // 2] = left_colour
    pixels[:, width // 2:] = right_colour
    Image.fromarray(pixels).save(path)


def test_imagefolder_classes_resize_and_crop(folder):
    try:
        import PIL  # noqa: F401
    except ImportError:
        print("test_make_dataset: Pillow missing; skipped the image-folder tests")
        return
    root = os.path.join(folder, "train")
    for name in ("dog", "cat"):
        os.makedirs(os.path.join(root, name))
    # Landscape 60x40: shorter side 40 -> 32 makes it 48x32; the 32x32 center crop starts 8 in.
    _picture(os.path.join(root, "cat", "a.png"), 60, 40, (255, 0, 0), (0, 0, 255))
    _picture(os.path.join(root, "cat", "b.png"), 32, 32, (0, 255, 0), (0, 255, 0))
    _picture(os.path.join(root, "dog", "c.png"), 40, 80, (10, 20, 30), (10, 20, 30))
    out = os.path.join(folder, "folder.h5")
    run("imagefolder", root, "--resize", "32", "--crop", "32", "-o", out)
    with h5py.File(out) as f:
        assert f["images"].shape == (3, 3, 32, 32), f["images"].shape
        assert [n.decode() if isinstance(n, bytes) else n for n in f["class_names"][()]] == ["cat", "dog"]
        assert list(f["labels"][()]) == [0, 0, 1], "classes are the sorted folder names"
        first = f["images"][0]
        assert tuple(first[:, 16, 0]) == (255, 0, 0) and tuple(first[:, 16, 31]) == (0, 0, 255), "left red, right blue"
        assert (f["images"][2] == np.array([10, 20, 30], dtype=np.uint8)[:, None, None]).all()
        assert f["images"].chunks[0] == 64 and f["images"].maxshape[0] is None, "streamed into an extendable dataset"


def test_imagefolder_labels_file_batches_and_errors(folder):
    try:
        import PIL  # noqa: F401
    except ImportError:
        return
    sys.path.insert(0, HERE)
    import make_dataset

    for i in range(5):
        _picture(os.path.join(folder, f"img{i}.png"), 8, 8, (i, i, i), (i, i, i))
    with open(os.path.join(folder, "labels.txt"), "w") as f:
        f.write("".join(f"img{i}.png {i % 2}\n" for i in range(5)))
    out = os.path.join(folder, "flat.h5")
    make_dataset.write_imagefolder(out, folder, None, None, os.path.join(folder, "labels.txt"), batch=2)
    with h5py.File(out) as f:
        assert list(f["labels"][()]) == [0, 1, 0, 1, 0]
        assert [int(f["images"][i, 0, 0, 0]) for i in range(5)] == [0, 1, 2, 3, 4], "every batch in order"
    _picture(os.path.join(folder, "img9.png"), 9, 8, (0, 0, 0), (0, 0, 0))
    with open(os.path.join(folder, "labels.txt"), "a") as f:
        f.write("img9.png 1\n")
    try:
        make_dataset.write_imagefolder(os.path.join(folder, "mixed.h5"), folder, None, None, os.path.join(folder, "labels.txt"))
        raise AssertionError("mixed sizes without --crop were accepted")
    except SystemExit as error:
        assert "pass --crop" in str(error), error
    assert not os.path.exists(os.path.join(folder, "mixed.h5.partial")), "nothing half-written"


def main():
    sys.path.insert(0, HERE)
    import script_tests

    script_tests.run(globals(), "make_dataset")


if __name__ == "__main__":
    main()
