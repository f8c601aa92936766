"""PyTorch definitions of the networks Unravel runs, under the names the field uses.

- CifarResNet: the widespread CIFAR ResNet code (akamaster/pytorch_resnet_cifar10 naming:
  conv1, bn1, layerN.M.conv1/bn1/conv2/bn2, linear). Shortcut option "A" (zero-padding; the
  zeros split before/after as akamaster does, or appended after as fb.resnet.torch does), "B"
  (projection where the shape changes, named shortcut.0/shortcut.1) or "C" (projection everywhere).
- PreActResNet: He et al. 2016 pre-activation (BN-ReLU-conv) blocks, with the final BN-ReLU
  before pooling (named bn). Projection shortcuts read the pre-activated input, as in the paper.
- PlainNet: the CIFAR ResNet stack with no shortcuts: the control.
- HighwayNet: convolutional highway layers y = H(x)T(x) + x(1 - T(x)), T = sigmoid(gate(x)),
  gate biases initialised negative (Srivastava et al. 2015), with a conv-BN-ReLU transition where
  the stage changes shape.
- small_bottleneck_resnet: an ImageNet-form ResNet (7x7 stem, max-pool, 4 stages of bottleneck
  blocks) in torchvision's own classes and naming, with narrow stages so it stays small.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class ZeroPadShortcut(nn.Module):
    """Option A: x[:, :, ::s, ::s] plus zero channels."""

    def __init__(self, in_planes, planes, stride, placement="split"):
        super().__init__()
        self.in_planes, self.planes, self.stride, self.placement = in_planes, planes, stride, placement

    def forward(self, x):
        x = x[:, :, :: self.stride, :: self.stride]
        extra = self.planes - self.in_planes
        before = extra // 2 if self.placement == "split" else 0
        return F.pad(x, (0, 0, 0, 0, before, extra - before))


class BasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride, option, placement, shortcut=True):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.has_shortcut = shortcut
        self.shortcut = nn.Sequential()
        changes = stride != 1 or in_planes != planes
        if shortcut and (option == "C" or (option == "B" and changes)):
            self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
        elif shortcut and option == "A" and changes:
            self.shortcut = ZeroPadShortcut(in_planes, planes, stride, placement)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.has_shortcut:
            out = out + self.shortcut(x)
        return F.relu(out)


class CifarResNet(nn.Module):
    def __init__(self, depth=20, option="A", placement="split", num_classes=10, shortcuts=True, in_channels=3):
        super().__init__()
        assert (depth - 2) % 6 == 0, "CIFAR ResNets have depth 6n+2"
        n = (depth - 2) // 6
        self.depth, self.option, self.placement, self.shortcuts = depth, option, placement, shortcuts
        self.conv1 = nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        planes, layers = 16, []
        for stage, width in enumerate([16, 32, 64]):
            blocks = []
            for m in range(n):
                stride = 2 if stage > 0 and m == 0 else 1
                blocks.append(BasicBlock(planes, width, stride, option, placement, shortcuts))
                planes = width
            layers.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = layers
        self.linear = nn.Linear(64, num_classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.linear(out)


class PlainNet(CifarResNet):
    def __init__(self, depth=20, num_classes=10, in_channels=3):
        super().__init__(depth, num_classes=num_classes, shortcuts=False, in_channels=in_channels)


class PreActBlock(nn.Module):
    def __init__(self, in_planes, planes, stride, option, placement):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.projection = False
        self.shortcut = nn.Sequential()
        changes = stride != 1 or in_planes != planes
        if option == "C" or (option == "B" and changes):
            self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride, bias=False))
            self.projection = True
        elif option == "A" and changes:
            self.shortcut = ZeroPadShortcut(in_planes, planes, stride, placement)

    def forward(self, x):
        pre = F.relu(self.bn1(x))
        skip = self.shortcut(pre) if self.projection else self.shortcut(x)
        out = self.conv2(F.relu(self.bn2(self.conv1(pre))))
        return out + skip


class PreActResNet(nn.Module):
    def __init__(self, depth=20, option="A", placement="split", num_classes=10, in_channels=3):
        super().__init__()
        n = (depth - 2) // 6
        self.depth, self.option, self.placement = depth, option, placement
        self.conv1 = nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False)
        planes, layers = 16, []
        for stage, width in enumerate([16, 32, 64]):
            blocks = []
            for m in range(n):
                stride = 2 if stage > 0 and m == 0 else 1
                blocks.append(PreActBlock(planes, width, stride, option, placement))
                planes = width
            layers.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = layers
        self.bn = nn.BatchNorm2d(64)
        self.linear = nn.Linear(64, num_classes)

    def forward(self, x):
        out = self.layer3(self.layer2(self.layer1(self.conv1(x))))
        out = F.relu(self.bn(out))
        return self.linear(F.adaptive_avg_pool2d(out, 1).flatten(1))


class HighwayLayer(nn.Module):
    def __init__(self, planes, gate_bias=-2.0):
        super().__init__()
        self.conv = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(planes)
        self.gate = nn.Conv2d(planes, planes, 3, 1, 1, bias=True)
        nn.init.constant_(self.gate.bias, gate_bias)

    def forward(self, x):
        h = F.relu(self.bn(self.conv(x)))
        t = torch.sigmoid(self.gate(x))
        return h * t + x * (1 - t)


class Transition(nn.Module):
    """Changes the shape between highway stages: conv (stride 2) - BN - ReLU."""

    def __init__(self, in_planes, planes):
        super().__init__()
        self.conv = nn.Conv2d(in_planes, planes, 3, 2, 1, bias=False)
        self.bn = nn.BatchNorm2d(planes)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class HighwayNet(nn.Module):
    def __init__(self, layers_per_stage=3, num_classes=10, in_channels=3, widths=(16, 32, 64)):
        super().__init__()
        self.layers_per_stage, self.widths = layers_per_stage, widths
        self.conv1 = nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.layer1 = nn.Sequential(*[HighwayLayer(widths[0]) for _ in range(layers_per_stage)])
        self.down2 = Transition(widths[0], widths[1])
        self.layer2 = nn.Sequential(*[HighwayLayer(widths[1]) for _ in range(layers_per_stage)])
        self.down3 = Transition(widths[1], widths[2])
        self.layer3 = nn.Sequential(*[HighwayLayer(widths[2]) for _ in range(layers_per_stage)])
        self.linear = nn.Linear(widths[2], num_classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer1(out)
        out = self.layer3(self.down3(self.layer2(self.down2(out))))
        return self.linear(F.adaptive_avg_pool2d(out, 1).flatten(1))


def small_bottleneck_resnet(num_classes=10, planes=(4, 8, 8, 16), blocks=(1, 2, 1, 1), stem=8):
    """torchvision's ResNet and Bottleneck with narrow stages: torchvision names, a few hundred KB."""
    from torchvision.models.resnet import Bottleneck, ResNet

    model = ResNet(Bottleneck, [1, 1, 1, 1], num_classes=num_classes)
    model.inplanes = stem
    model.conv1 = nn.Conv2d(3, stem, 7, 2, 3, bias=False)
    model.bn1 = nn.BatchNorm2d(stem)
    model.layer1 = model._make_layer(Bottleneck, planes[0], blocks[0])
    model.layer2 = model._make_layer(Bottleneck, planes[1], blocks[1], stride=2)
    model.layer3 = model._make_layer(Bottleneck, planes[2], blocks[2], stride=2)
    model.layer4 = model._make_layer(Bottleneck, planes[3], blocks[3], stride=2)
    model.fc = nn.Linear(planes[3] * Bottleneck.expansion, num_classes)
    return model


def randomize_batchnorm(model, generator):
    """Non-trivial batch-norm statistics, so that folding BN into convolutions is really tested;
    group norms' scales and shifts too."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                c = module.num_features
                module.weight.copy_(torch.rand(c, generator=generator) + 0.5)
                module.bias.copy_(torch.randn(c, generator=generator) * 0.1)
                module.running_mean.copy_(torch.randn(c, generator=generator) * 0.1)
                module.running_var.copy_(torch.rand(c, generator=generator) + 0.5)
            elif isinstance(module, nn.GroupNorm):   # its scale and shift (it keeps no statistics)
                c = module.num_channels
                module.weight.copy_(torch.rand(c, generator=generator) + 0.5)
                module.bias.copy_(torch.randn(c, generator=generator) * 0.1)
