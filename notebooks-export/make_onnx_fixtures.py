"""Makes the ONNX fixtures in Tests/NetsTests/Fixtures/onnx, with onnxruntime as the oracle.

Small networks of each form are exported by torch.onnx.export (the TorchScript exporter, as
issue 15 names it) and converted by export_onnx.py (which also checks itself against onnxruntime
through `lesion predict`; build lesion first). For each, NAME.model.h5 is the converted file and
NAME.expected.h5 holds network inputs and onnxruntime's logits on them:
- cifar8_bn: CIFAR ResNet-8 with option-B projections, batch norms kept
  (do_constant_folding=False, training=TrainingMode.PRESERVE);
- cifar8_folded: the same network exported in eval mode, batch norm folded into the convolutions;
- preact8: a pre-activation ResNet-8, exported in eval mode (only the batch norms that follow a
  convolution fold; the pre-activations stay);
- seresnet: timm's ResNet with squeeze-excitation in the branch, narrow (ReduceMean, Sigmoid, Mul);
- bottleneck: torchvision's Bottleneck ResNet, narrow, folded.
Inputs are redrawn where a ReLU sees a value within 1e-6 of its kink (make_nets_fixtures.py says
why), with PyTorch's copy of the network as the judge.

    .build/unravel/venv/bin/python notebooks-export/make_onnx_fixtures.py Tests/NetsTests/Fixtures/onnx
"""
import os
import sys
import tempfile
import warnings

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_onnx  # noqa: E402
import make_nets_fixtures as nf  # noqa: E402
import unravel_models as um  # noqa: E402
import zoo_layouts as zoo  # noqa: E402

PRESERVE = dict(do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE)


def make(out, name, model, input_shape, seed, folded, **options):
    import onnxruntime as ort
    generator = torch.Generator().manual_seed(seed)
    um.randomize_batchnorm(model, generator)
    model.eval()
    x = nf.well_conditioned_inputs(model, 4, input_shape, generator)
    with tempfile.TemporaryDirectory() as folder:
        onnx_path = os.path.join(folder, f"{name}.onnx")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, torch.zeros(1, *input_shape), onnx_path, dynamo=False, input_names=["image"],
                              dynamic_axes={"image": {0: "batch"}}, **options)
        status = export_onnx.main([onnx_path, "--preprocess", "none", "--name", name, "-o",
                                   os.path.join(out, f"{name}.model.h5")])
        if status != 0:
            raise SystemExit(f"make_onnx_fixtures: export_onnx failed on {name}")
        session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
        logits = session.run(None, {"image": x.numpy()})[0]
    with h5py.File(os.path.join(out, f"{name}.model.h5")) as f:
        recorded = '"batchnorm_folded": true' in f.attrs["architecture"]
    if recorded != folded:
        raise SystemExit(f"make_onnx_fixtures: {name} should {'' if folded else 'not '}be recorded as folded")
    with h5py.File(os.path.join(out, f"{name}.expected.h5"), "w") as f:
        f["input"] = x.numpy().astype(np.float32)
        f["logits"] = logits.astype(np.float32)
        f.attrs["onnxruntime_version"] = ort.__version__
        f.attrs["torch_version"] = str(torch.__version__)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "Tests/NetsTests/Fixtures/onnx"
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    make(out, "cifar8_bn", um.CifarResNet(8, "B"), (3, 32, 32), 1, False, **PRESERVE)
    torch.manual_seed(0)
    make(out, "cifar8_folded", um.CifarResNet(8, "B"), (3, 32, 32), 1, True)
    torch.manual_seed(2)
    make(out, "preact8", um.PreActResNet(8, "B"), (3, 32, 32), 2, True)
    torch.manual_seed(3)
    make(out, "seresnet", zoo.narrow_timm("seresnet18", channels=(4, 8, 16, 32)), (3, 32, 32), 3, True)
    torch.manual_seed(4)
    make(out, "bottleneck", um.small_bottleneck_resnet(), (3, 32, 32), 4, True)
    print(f"wrote the ONNX fixtures to {out}")


if __name__ == "__main__":
    main()
