"""Makes the Keras fixtures in Tests/NetsTests/Fixtures/keras: CIFAR ResNet-20s (post- and
pre-activation) built with the Keras functional API, randomised batch-norm statistics, each
saved by Keras itself as legacy .h5, .weights.h5 (+ its config) and .keras, with Keras'
predictions on a small batch; and the pre-activation .keras re-zipped by Python's zipfile with
ZIP_DEFLATED (preact20.deflated.keras), as an archive re-packed by a user's tools comes, since
Keras itself stores its members uncompressed; and a small ImageNet-form network whose max
poolings pad differently on each side (stem_pool.keras); and a CIFAR-form network whose blocks
gate their branch with squeeze-excitation as Keras users write it (se_block.keras: global pooling,
Dense relu, Dense sigmoid, Reshape to (1, 1, C), Multiply).

    KERAS_BACKEND=jax python3 notebooks-export/make_keras_fixtures.py Tests/NetsTests/Fixtures/keras
    ONLY=stem_pool KERAS_BACKEND=jax python3 notebooks-export/make_keras_fixtures.py Tests/NetsTests/Fixtures/keras
    ONLY=se_block KERAS_BACKEND=jax python3 notebooks-export/make_keras_fixtures.py Tests/NetsTests/Fixtures/keras
"""
import json
import os
import sys
import zipfile

os.environ.setdefault("KERAS_BACKEND", "jax")
import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402


def resnet20(preactivation, classes=10):
    inputs = keras.Input((32, 32, 3))
    x = layers.Conv2D(16, 3, padding="same", use_bias=False)(inputs)
    if not preactivation:
        x = layers.Activation("relu")(layers.BatchNormalization()(x))
    for stage, filters in enumerate([16, 32, 64]):
        for block in range(3):
            stride = 2 if stage > 0 and block == 0 else 1
            changes = stride != 1 or x.shape[-1] != filters
            if preactivation:
                pre = layers.ReLU()(layers.BatchNormalization(epsilon=1e-3)(x))
                y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(pre)
                y = layers.ReLU()(layers.BatchNormalization()(y))
                y = layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)
                shortcut = layers.Conv2D(filters, 1, strides=stride, padding="same", use_bias=False)(pre) if changes else x
            else:
                y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
                y = layers.Activation("relu")(layers.BatchNormalization()(y))
                y = layers.BatchNormalization()(layers.Conv2D(filters, 3, padding="same", use_bias=False)(y))
                shortcut = x
                if changes:
                    shortcut = layers.Conv2D(filters, 1, strides=stride, padding="same", use_bias=False)(x)
                    shortcut = layers.BatchNormalization()(shortcut)
            x = layers.Add()([y, shortcut])
            if not preactivation:
                x = layers.Activation("relu")(x)
    if preactivation:
        x = layers.ReLU()(layers.BatchNormalization()(x))
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(classes)(x), name="preact20" if preactivation else "resnet20")


def stem_pool(classes=10):
    """An ImageNet-form stem as Keras users write it: a 7x7 stride-2 'same' convolution and a 3x3
    stride-2 'same' max pooling, which on an even map pad one row and column after it and none
    before (with -infinity: the pooling reads the batch norm's output and the first block reads
    the pooling's, with no ReLU between, so the padding's value shows); two blocks; then a zero
    padding after the map only, a max pooling over it, and the head."""
    inputs = keras.Input((32, 32, 3))
    x = layers.BatchNormalization()(layers.Conv2D(8, 7, strides=2, padding="same", use_bias=False)(inputs))
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    for filters, stride in ((8, 1), (16, 2)):
        y = layers.Activation("relu")(layers.BatchNormalization()(layers.Conv2D(filters, 3, strides=stride, padding="same",
                                                                                use_bias=False)(x)))
        y = layers.BatchNormalization()(layers.Conv2D(filters, 3, padding="same", use_bias=False)(y))
        shortcut = x
        if stride != 1:
            shortcut = layers.BatchNormalization()(layers.Conv2D(filters, 1, strides=stride, use_bias=False)(x))
        x = layers.Activation("relu")(layers.Add()([y, shortcut]))
    x = layers.BatchNormalization()(x)
    x = layers.MaxPooling2D(3, strides=2)(layers.ZeroPadding2D(((0, 1), (0, 1)))(x))
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(classes)(x), name="stem_pool")


def se_block(classes=10):
    """Two basic blocks whose branch is gated by squeeze-excitation of Dense layers, the second
    downsampling through a 1x1 projection."""
    inputs = keras.Input((16, 16, 3))
    x = layers.Activation("relu")(layers.BatchNormalization()(layers.Conv2D(8, 3, padding="same", use_bias=False)(inputs)))
    for filters, stride in ((8, 1), (16, 2)):
        y = layers.Activation("relu")(layers.BatchNormalization()(layers.Conv2D(filters, 3, strides=stride, padding="same",
                                                                                use_bias=False)(x)))
        y = layers.BatchNormalization()(layers.Conv2D(filters, 3, padding="same", use_bias=False)(y))
        gate = layers.Dense(filters // 4, activation="relu")(layers.GlobalAveragePooling2D()(y))
        gate = layers.Reshape((1, 1, filters))(layers.Dense(filters, activation="sigmoid")(gate))
        y = layers.Multiply()([y, gate])
        shortcut = x
        if stride != 1:
            shortcut = layers.BatchNormalization()(layers.Conv2D(filters, 1, strides=stride, use_bias=False)(x))
        x = layers.Activation("relu")(layers.Add()([y, shortcut]))
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(classes)(x), name="se_block")


def randomize(model, rng):
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            c = layer.gamma.shape[0]
            layer.set_weights([rng.uniform(0.5, 1.5, c), rng.normal(0, 0.1, c), rng.normal(0, 0.1, c), rng.uniform(0.5, 1.5, c)])


def deflated_copy(source, target):
    """The same archive with every member compressed (ZIP_DEFLATED)."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in original.infolist():
            copy.writestr(info.filename, original.read(info.filename))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "Tests/NetsTests/Fixtures/keras"
    os.makedirs(out, exist_ok=True)
    # ONLY=stem_pool or ONLY=se_block makes that fixture alone (each draws from its own seed),
    # leaving the others as they were.
    if os.environ.get("ONLY", "stem_pool") == "stem_pool":
        make_stem_pool(out)
    if os.environ.get("ONLY", "se_block") == "se_block":
        make_se_block(out)
    if os.environ.get("ONLY"):
        return
    rng = np.random.default_rng(0)
    keras.utils.set_random_seed(0)
    for preactivation in (False, True):
        model = resnet20(preactivation)
        randomize(model, rng)
        name = model.name
        model.save(os.path.join(out, f"{name}.keras"))
        model.save(os.path.join(out, f"{name}.h5"))
        model.save_weights(os.path.join(out, f"{name}.weights.h5"))
        with open(os.path.join(out, f"{name}.config.json"), "w") as f:
            f.write(model.to_json())
        x = rng.standard_normal((4, 32, 32, 3)).astype(np.float32)
        with h5py.File(os.path.join(out, f"{name}.expected.h5"), "w") as f:
            f["input_nhwc"] = x
            f["logits"] = np.asarray(model.predict(x, verbose=0)).astype(np.float32)
            f.attrs["keras_version"] = keras.__version__
        if preactivation:
            deflated_copy(os.path.join(out, f"{name}.keras"), os.path.join(out, f"{name}.deflated.keras"))
        print("wrote", name)


def make_stem_pool(out):
    rng = np.random.default_rng(1)
    keras.utils.set_random_seed(1)
    model = stem_pool()
    randomize(model, rng)
    # The batch norms the poolings read shifted down, so that whole windows are negative and the
    # padding's value (-infinity or zero) decides their maximum.
    norms = [layer for layer in model.layers if isinstance(layer, layers.BatchNormalization)]
    for norm in (norms[0], norms[-1]):
        gamma, beta, mean, variance = norm.get_weights()
        norm.set_weights([gamma, beta - 2, mean, variance])
    save_with_predictions(model, out, rng.standard_normal((4, 32, 32, 3)).astype(np.float32))


def make_se_block(out):
    rng = np.random.default_rng(2)
    keras.utils.set_random_seed(2)
    model = se_block()
    randomize(model, rng)
    save_with_predictions(model, out, rng.standard_normal((4, 16, 16, 3)).astype(np.float32))


def save_with_predictions(model, out, x):
    """NAME.keras, and NAME.expected.h5 with the inputs x and Keras' logits on them."""
    model.save(os.path.join(out, f"{model.name}.keras"))
    with h5py.File(os.path.join(out, f"{model.name}.expected.h5"), "w") as f:
        f["input_nhwc"] = x
        f["logits"] = np.asarray(model.predict(x, verbose=0)).astype(np.float32)
        f.attrs["keras_version"] = keras.__version__
    print("wrote", model.name)


if __name__ == "__main__":
    main()
