#!/usr/bin/env python3
"""Whether two results files hold the same results: every group, dataset and attribute equal,
bit for bit (NaN equal to NaN), except the provenance that says when and how a run was made.

    same_results.py A.h5 B.h5     exit 0 when equal, else 1 with each difference on stderr
    same_results.py --list A.h5   the experiment groups a file holds and their status
    same_results.py --started A.h5   when the run that wrote it first started

Used by `make test-slurm` to compare a merged Slurm study with the unsharded one.
"""
import sys

import h5py
import numpy as np

# When and how a run was made (docs/results-format.md): equal results differ in these.
PROVENANCE = {"command_line", "started", "saved", "merged_from", "studied"}


def objects(f):
    found = {"/": f}
    f.visititems(lambda name, obj: found.__setitem__(name, obj))
    return found


def equal(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype.kind != b.dtype.kind:
        return False
    return bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))


def differences(path_a, path_b):
    found = []
    with h5py.File(path_a, "r") as file_a, h5py.File(path_b, "r") as file_b:
        a, b = objects(file_a), objects(file_b)
        for name in sorted(set(a) ^ set(b)):
            found.append(f"{name}: only in {path_a if name in a else path_b}")
        for name in sorted(set(a) & set(b)):
            x, y = a[name], b[name]
            if isinstance(x, h5py.Dataset) != isinstance(y, h5py.Dataset):
                found.append(f"{name}: a dataset in one file, a group in the other")
                continue
            if isinstance(x, h5py.Dataset) and not equal(x[()], y[()]):
                found.append(f"{name}: values differ")
            for key in sorted((set(x.attrs) | set(y.attrs)) - PROVENANCE):
                if key not in x.attrs or key not in y.attrs:
                    found.append(f"{name}: attribute {key} in one file only")
                elif not equal(x.attrs[key], y.attrs[key]):
                    found.append(f"{name}: attribute {key} differs")
    return found


def groups(path):
    with h5py.File(path, "r") as f:
        return ", ".join(f"{name} ({f[name].attrs['status']})" for name in f
                         if isinstance(f[name], h5py.Group) and "status" in f[name].attrs) or "nothing"


def main(argv):
    if len(argv) == 2 and argv[0] == "--list":
        print(groups(argv[1]))
        return 0
    if len(argv) == 2 and argv[0] == "--started":
        with h5py.File(argv[1], "r") as f:
            print(f.attrs["started"])
        return 0
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 64
    found = differences(*argv)
    for line in found:
        print(f"same_results: {line}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
