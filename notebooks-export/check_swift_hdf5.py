"""Checks, with h5py, the file that Unravel's Swift HDF5 layer wrote in its tests.

    python3 notebooks-export/check_swift_hdf5.py PATH

The Swift test InteropTests.testWritesAFileForH5pyToCheck writes PATH when UNRAVEL_INTEROP_OUT is
set; `make test` runs both. Values, dtypes, chunking and compression must all come through.
"""
import sys

import h5py
import numpy as np


def expect(condition, what):
    if not condition:
        sys.exit(f"check_swift_hdf5: FAILED: {what}")


def check(path):
    with h5py.File(path, "r") as f:
        def same(name, dtype, values):
            data = f[name][()]
            expect(f[name].dtype == np.dtype(dtype), f"{name} dtype {f[name].dtype}, expected {dtype}")
            expect(np.array_equal(data, values), f"{name} values differ")

        same("float32", "<f4", (np.arange(24, dtype="f4") / 8).reshape(2, 3, 4))
        same("float64", "<f8", np.arange(5) * 1e-3)
        same("int32", "<i4", (np.arange(6) - 3).reshape(3, 2))
        same("int64", "<i8", np.arange(4, dtype="i8") << 40)
        same("uint8", "u1", (np.arange(16) * 15).astype("u1").reshape(2, 2, 2, 2))
        expect(f["scalar"].shape == () and f["scalar"][()] == np.pi, "scalar")

        images = f["compressed/images"]
        same("compressed/images", "u1", (np.arange(64 * 192) % 251).astype("u1").reshape(64, 3, 8, 8))
        expect(images.chunks == (16, 3, 8, 8), f"chunks {images.chunks}")
        expect(images.compression == "gzip" and images.compression_opts == 5, "gzip level 5")
        expect(images.shuffle, "shuffle filter")

        rows = f["rows"]
        expect(rows.maxshape == (None, 2), f"rows maxshape {rows.maxshape}")
        same("rows", "<f4", np.array([[0, 0.5], [1, 1.5], [2, 2.5]], dtype="f4"))

        expect([s.decode() for s in f["strings"][()]] == ["first", "zweite", "трети"], "string dataset")
        expect(f.attrs["title"] == "Unravel ✓", f"title {f.attrs['title']!r}")
        expect(f.attrs["ascii_fixed"] == b"fixed", f"ascii_fixed {f.attrs['ascii_fixed']!r}")
        expect(list(f.attrs["names"]) == [b"conv1", b"bn1"], f"names {f.attrs['names']!r}")
        expect(list(f.attrs["labels"]) == ["a", "βeta"], f"labels {f.attrs['labels']!r}")
        expect(f.attrs["seed"] == 1234 and f.attrs["seed"].dtype == np.int64, "seed")
        expect(np.array_equal(f.attrs["levels"], np.array([0.5, 0.25], dtype="f4")), "levels")
        expect(f["compressed"].attrs["units"] == "pixel", "units")
    print(f"check_swift_hdf5: {path} reads back in h5py {h5py.__version__} with the same values, dtypes, "
          "chunks and filters")


if __name__ == "__main__":
    check(sys.argv[1])
