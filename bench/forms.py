"""The network forms `make bench` measures, each built the same way for every engine: random
weights (seeded) with randomised batch-norm statistics, written as an Unravel model file and as
ONNX, and kept as the PyTorch module for PyTorch's own runs.

Each form also says how to lesion one of its blocks in PyTorch, for the naive drop-one loop a
researcher would write: the block's forward replaced by what remains without its branch.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "notebooks-export"))


class Form:
    def __init__(self, key, title, size, batch, build, blocks, lesioned, long=False):
        self.key, self.title, self.size, self.batch = key, title, size, batch
        self.build, self.blocks, self.lesioned, self.long = build, blocks, lesioned, long

    @property
    def input(self):
        return (3, self.size, self.size)


def _randomised(model):
    import torch
    import unravel_models as um

    um.randomize_batchnorm(model, torch.Generator().manual_seed(1))
    return model.eval()


def _cifar(depth, preact=False):
    def build():
        import torch
        import unravel_models as um

        torch.manual_seed(0)
        return _randomised(um.PreActResNet(depth, "A") if preact else um.CifarResNet(depth, "A"))
    return build


def _torchvision(arch):
    def build():
        import torch
        import torchvision

        torch.manual_seed(0)
        return _randomised(getattr(torchvision.models, arch)())
    return build


def _highway(layers_per_stage):
    def build():
        import torch
        import unravel_models as um

        torch.manual_seed(0)
        return _randomised(um.HighwayNet(layers_per_stage))
    return build


def _stages(*names):
    return lambda model: [block for name in names for block in getattr(model, name)]


def _basic_lesion(torch, block):
    return lambda t: torch.relu(block.shortcut(t))


def _preact_lesion(torch, block):
    return lambda t: block.shortcut(torch.relu(block.bn1(t))) if block.projection else block.shortcut(t)


def _bottleneck_lesion(torch, block):
    return lambda t: torch.relu(block.downsample(t) if block.downsample is not None else t)


FORMS = {form.key: form for form in [
    Form("cifar110", "CIFAR ResNet-110 (option A)", 32, 128, _cifar(110), _stages("layer1", "layer2", "layer3"),
         _basic_lesion),
    Form("resnet50", "torchvision ResNet-50 at 224", 224, 32, _torchvision("resnet50"),
         _stages("layer1", "layer2", "layer3", "layer4"), _bottleneck_lesion),
    Form("preact110", "CIFAR pre-activation ResNet-110 (option A)", 32, 128, _cifar(110, preact=True),
         _stages("layer1", "layer2", "layer3"), _preact_lesion),
    Form("highway", "CIFAR highway network, 18 layers per stage", 32, 128, _highway(18), None, None),
    Form("resnet152", "torchvision ResNet-152 at 224", 224, 32, _torchvision("resnet152"),
         _stages("layer1", "layer2", "layer3", "layer4"), _bottleneck_lesion, long=True),
]}
