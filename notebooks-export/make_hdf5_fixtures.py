"""Writes the small HDF5 files that Unravel's HDF5 tests read (Tests/HDF5Tests/Fixtures).

They hold every form in which h5py and Keras store data and strings, so the Swift layer is
tested on what real writers produce, not on what it writes itself.

    python3 notebooks-export/make_hdf5_fixtures.py Tests/HDF5Tests/Fixtures

The values follow simple formulas (arange) that the Swift tests repeat.
"""
import os
import sys

import h5py
import numpy as np


def space_padded_attribute(obj, name, text, size):
    """A fixed-length ASCII string padded with spaces (Fortran style), via h5py's low-level API."""
    string_type = h5py.h5t.C_S1.copy()
    string_type.set_size(size)
    string_type.set_strpad(h5py.h5t.STR_SPACEPAD)
    space = h5py.h5s.create(h5py.h5s.SCALAR)
    attribute = h5py.h5a.create(obj.id, name.encode(), string_type, space)
    attribute.write(np.array(text.ljust(size).encode(), dtype=f"S{size}"))


def write_forms(path):
    with h5py.File(path, "w") as f:
        numbers = f.create_group("numbers")
        numbers["float32"] = np.arange(6, dtype="<f4").reshape(2, 3) / 4
        numbers["float64"] = np.arange(4, dtype="<f8") * -1.5
        numbers["int32"] = np.arange(-3, 3, dtype="<i4")
        numbers["int64"] = np.arange(5, dtype="<i8") * 10_000_000_000
        numbers["uint8"] = np.arange(24, dtype="u1").reshape(2, 3, 4)
        numbers["scalar"] = np.float32(2.5)
        numbers["empty"] = np.zeros((0, 3), dtype="<f4")

        f["nested/a/b/c"] = np.arange(3, dtype="<i4")
        f.create_dataset("compressed", data=np.arange(1000, dtype="<f4").reshape(100, 10),
                         chunks=(10, 10), compression="gzip", compression_opts=4, shuffle=True)
        f["strings/variable"] = np.array(["alpha", "béta", ""], dtype=h5py.string_dtype("utf-8"))
        f["strings/fixed"] = np.array([b"conv1", b"bn1", b"fc"], dtype="S5")

        f.attrs["str_variable_utf8"] = "héllo wörld"
        f.attrs.create("str_variable_ascii", "plain", dtype=h5py.string_dtype("ascii"))
        f.attrs["str_fixed_ascii"] = np.bytes_(b"fixed")
        f.attrs.create("str_fixed_utf8", "naïve".encode(), dtype=h5py.string_dtype("utf-8", 8))
        space_padded_attribute(f, "str_space_padded", "spaced", 10)
        f.attrs["names_variable"] = np.array(["conv2d", "batch_normalization", "dense"],
                                             dtype=h5py.string_dtype("utf-8"))
        f.attrs["names_fixed"] = np.array([b"conv2d", b"bn", b"dense"])
        f.attrs["empty_names"] = np.array([], dtype="float64")
        f.attrs["int_scalar"] = np.int64(42)
        f.attrs["float_array"] = np.array([0.5, 1.5, -2.0], dtype="<f4")
        f.attrs["double_scalar"] = 1e-5

        # The Keras 2 legacy layout: layer_names as a fixed-length array, a layer with no weights.
        weights = f.create_group("model_weights")
        weights.attrs["layer_names"] = np.array([b"conv2d", b"activation"])
        conv = weights.create_group("conv2d")
        conv.attrs["weight_names"] = np.array([b"conv2d/kernel:0", b"conv2d/bias:0"])
        conv["conv2d/kernel:0"] = np.arange(2 * 2 * 1 * 3, dtype="<f4").reshape(2, 2, 1, 3)
        conv["conv2d/bias:0"] = np.zeros(3, dtype="<f4")
        activation = weights.create_group("activation")
        activation.attrs["weight_names"] = np.array([], dtype="float64")


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "Tests/HDF5Tests/Fixtures"
    os.makedirs(out, exist_ok=True)
    write_forms(os.path.join(out, "h5py_forms.h5"))
    print("wrote", os.path.join(out, "h5py_forms.h5"))
