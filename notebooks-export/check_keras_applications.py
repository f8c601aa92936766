"""`make test-interop`: keras.applications ResNet50 and ResNet50V2 (weights=None, batch-norm
statistics randomised, 64x64 inputs, 10 classes, no final softmax), saved by Keras as legacy
.h5 and .keras and read by `lesion predict`, against Keras' predictions. About 95 MB each, so
they are made here, not committed.

    KERAS_BACKEND=jax python3 notebooks-export/check_keras_applications.py
"""
import os
import subprocess
import sys
import tempfile

os.environ.setdefault("KERAS_BACKEND", "jax")
import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_keras_fixtures import randomize  # noqa: E402

ROOT = os.path.dirname(HERE)


def check(name, build, folder, rng):
    model = build(weights=None, input_shape=(64, 64, 3), classes=10, classifier_activation=None)
    randomize(model, rng)
    x = rng.standard_normal((4, 64, 64, 3)).astype(np.float32)
    expected = np.asarray(model.predict(x, verbose=0))
    data = os.path.join(folder, "data.h5")
    with h5py.File(data, "w") as f:
        f["images"] = x
        f["images"].attrs["layout"] = "NHWC"
        f["labels"] = np.arange(4, dtype=np.int64)
    ok = True
    for suffix in ("h5", "keras"):
        path = os.path.join(folder, f"{name}.{suffix}")
        model.save(path)
        out = os.path.join(folder, f"{name}-{suffix}-out.h5")
        subprocess.run([os.path.join(ROOT, ".build", "release", "lesion"), "predict", path, data, "-o", out, "--quiet", "--force"],
                       check=True)
        with h5py.File(out) as f:
            error = np.abs(f["logits"][()] - expected).max() / np.abs(expected).max()
        ok &= error <= 1e-4
        print(f"{name}.{suffix}: logits relative error {error:.2e}" + ("" if error <= 1e-4 else "  FAILED"))
    return ok


def main():
    rng = np.random.default_rng(0)
    keras.utils.set_random_seed(0)
    with tempfile.TemporaryDirectory() as folder:
        results = [check("resnet50", keras.applications.ResNet50, folder, rng),
                   check("resnet50v2", keras.applications.ResNet50V2, folder, rng)]
    print(f"check_keras_applications: {sum(results)} passed, {len(results) - sum(results)} failed")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
