"""Networks in the layouts researchers' checkpoints come in, written here for the export tests
(so that nothing in the tests is the exporter's own reference code):

- akamaster_resnet20/56: the key layout of akamaster/pytorch_resnet_cifar10 checkpoints
  (conv1, bn1, layerN.M.{conv1,bn1,conv2,bn2}, linear; option A as a parameter-free lambda that
  subsamples and pads planes//4 zero channels on each side).
- KuangliuResNet18 / KuangliuPreActResNet18: the layout of kuangliu/pytorch-cifar (3x3 stem, four
  stages, option-B `shortcut` Sequential, F.avg_pool2d(out, 4), view, `linear`), with a width
  factor so that test fixtures stay small.
- narrow_timm(name): timm's own ResNet class with narrow stages, for resnet18d (deep stem,
  average-pool shortcut) and seresnet18 (squeeze-excitation in the branch).
- narrow_timm_v2(): timm's pre-activation ResNetV2 as resnetv2_50d builds it (deep stem, average-pool
  projections taken from the pre-activation, bottlenecks, a final batch norm and ReLU, and a
  classifier that is a 1x1 convolution on the pooled map), with narrow stages.
- narrow_timm_bit(): the same with Big Transfer's weight-standardised convolutions, group norm and
  zero-padded stem pooling.
- narrow_timm_ts(): timm's ByobNet '-ts' ResNeXt (SiLU activations, tiered stem), narrow.
- small_hf_config(), small_hf_bit_config(): transformers ResNet and BitConfig small enough to commit.
- SenetCifarResNet: the layout of moskomule/senet.pytorch's CIFAR SE-ResNets (se_resnet20 and
  kin), the squeeze-excitation most users write themselves: `se.fc` a Sequential of Linear
  layers without biases, on pooled channels viewed as (N, C), the gate viewed back as
  (N, C, 1, 1) and expanded; `downsample` a 1x1 convolution and batch norm.
"""
import torch.nn as nn
import torch.nn.functional as F


class _Lambda(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


class _AkamasterBlock(nn.Module):
    def __init__(self, inputs, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inputs, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or inputs != planes:
            quarter = planes // 4
            self.shortcut = _Lambda(lambda x: F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, quarter, quarter), "constant", 0))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + self.shortcut(x))


class AkamasterResNet(nn.Module):
    def __init__(self, n, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        inputs = 16
        for stage, planes in enumerate((16, 32, 64), start=1):
            blocks = []
            for m in range(n):
                blocks.append(_AkamasterBlock(inputs, planes, 2 if stage > 1 and m == 0 else 1))
                inputs = planes
            setattr(self, f"layer{stage}", nn.Sequential(*blocks))
        self.linear = nn.Linear(64, num_classes)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.layer3(self.layer2(self.layer1(y)))
        y = F.avg_pool2d(y, y.size()[3])
        return self.linear(y.view(y.size(0), -1))


def akamaster_resnet20():
    return AkamasterResNet(3)


def akamaster_resnet56():
    return AkamasterResNet(9)


class _KuangliuBlock(nn.Module):
    def __init__(self, inputs, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inputs, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or inputs != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(inputs, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        return F.relu(out)


class _KuangliuPreActBlock(nn.Module):
    def __init__(self, inputs, planes, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(inputs)
        self.conv1 = nn.Conv2d(inputs, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        if stride != 1 or inputs != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(inputs, planes, 1, stride, bias=False))

    def forward(self, x):
        out = F.relu(self.bn1(x))
        shortcut = self.shortcut(out) if hasattr(self, "shortcut") else x
        out = self.conv1(out)
        out = self.conv2(F.relu(self.bn2(out)))
        return out + shortcut


class _Kuangliu(nn.Module):
    def __init__(self, block, width=64, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width) if block is _KuangliuBlock else None
        inputs = width
        for stage, factor in enumerate((1, 2, 4, 8), start=1):
            planes = width * factor
            setattr(self, f"layer{stage}", nn.Sequential(block(inputs, planes, 1 if stage == 1 else 2), block(planes, planes, 1)))
            inputs = planes
        self.linear = nn.Linear(inputs, num_classes)

    def forward(self, x):
        out = self.conv1(x)
        if self.bn1 is not None:
            out = F.relu(self.bn1(out))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        out = F.avg_pool2d(out, 4)
        return self.linear(out.view(out.size(0), -1))


class _SenetSELayer(nn.Module):
    def __init__(self, channels, reduction):
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Sequential(nn.Linear(channels, channels // reduction, bias=False), nn.ReLU(inplace=True),
                                nn.Linear(channels // reduction, channels, bias=False), nn.Sigmoid())

    def forward(self, x):
        n, c = x.shape[:2]
        gate = self.fc(self.avg_pool(x).view(n, c)).view(n, c, 1, 1)
        return x * gate.expand_as(x)


class _SenetBlock(nn.Module):
    def __init__(self, inputs, planes, stride, reduction):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(inputs, planes, 3, stride, 1, bias=False), nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2, self.bn2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False), nn.BatchNorm2d(planes)
        self.se = _SenetSELayer(planes, reduction)
        self.downsample = None
        if stride != 1 or inputs != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inputs, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        residual = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.se(self.bn2(self.conv2(out)))
        return self.relu(out + residual)


class SenetCifarResNet(nn.Module):
    def __init__(self, blocks_per_stage=1, width=16, reduction=4, num_classes=10):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(3, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        inputs = width
        for stage in range(3):
            planes = width * 2 ** stage
            blocks = [_SenetBlock(inputs, planes, 1 if stage == 0 else 2, reduction)]
            blocks += [_SenetBlock(planes, planes, 1, reduction) for _ in range(blocks_per_stage - 1)]
            setattr(self, f"layer{stage + 1}", nn.Sequential(*blocks))
            inputs = planes
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(inputs, num_classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(self.avgpool(x).view(x.size(0), -1))


def KuangliuResNet18(width=64, num_classes=10):
    return _Kuangliu(_KuangliuBlock, width, num_classes)


def KuangliuPreActResNet18(width=64, num_classes=10):
    return _Kuangliu(_KuangliuPreActBlock, width, num_classes)


def narrow_timm(name, num_classes=10, channels=(8, 16, 32, 64)):
    """timm's ResNet with narrow stages, built with the arguments timm's registry uses for `name`."""
    from timm.models.resnet import BasicBlock, ResNet

    kinds = {
        "resnet18": dict(),
        "resnet18d": dict(stem_type="deep", stem_width=channels[0] // 2, avg_down=True),
        "seresnet18": dict(block_args=dict(attn_layer="se")),
        # ecaresnet50d's arguments on basic blocks: ECA's kernel grows with the channels (3 taps
        # up to 64 channels, 5 at 128).
        "ecaresnet18d": dict(stem_type="deep", stem_width=channels[0] // 2, avg_down=True,
                             block_args=dict(attn_layer="eca")),
    }
    return ResNet(BasicBlock, [2, 2, 2, 2], num_classes=num_classes, channels=channels,
                  stem_width=kinds[name].pop("stem_width", channels[0]), **kinds[name])


def narrow_timm_v2(num_classes=10, channels=(16, 32, 64, 128), layers=(1, 2, 1, 1)):
    """timm's ResNetV2 with resnetv2_50d's arguments and narrow stages (bottleneck width a quarter)."""
    from timm.layers import BatchNormAct2d, create_conv2d
    from timm.models.resnetv2 import ResNetV2

    return ResNetV2(list(layers), channels=channels, num_classes=num_classes, stem_chs=channels[0] // 2,
                    stem_type="deep", avg_down=True, conv_layer=create_conv2d, norm_layer=BatchNormAct2d)


def narrow_timm_bit(num_classes=10, channels=(16, 32, 64, 128), layers=(1, 2, 1, 1), groups=4):
    """timm's ResNetV2 with Big Transfer's arguments (resnetv2_50x1_bit: weight-standardised
    convolutions, group norm, the 'fixed' stem's zero padding before max pooling), narrow, with
    `groups` groups where BiT has 32."""
    from functools import partial

    from timm.layers import GroupNormAct, StdConv2d
    from timm.models.resnetv2 import ResNetV2

    return ResNetV2(list(layers), channels=channels, num_classes=num_classes, stem_chs=channels[0] // 2,
                    stem_type="fixed", conv_layer=partial(StdConv2d, eps=1e-8),
                    norm_layer=partial(GroupNormAct, num_groups=groups))


def narrow_timm_ts(num_classes=10):
    """timm's ByobNet as its '-ts' ResNeXts build it (resnext26ts: tiered stem, grouped bottlenecks,
    SiLU everywhere, SiLU after each add), narrow and with one or two blocks a stage."""
    from timm.models.byobnet import ByobNet, ByoBlockCfg, ByoModelCfg

    blocks = (ByoBlockCfg(type="bottle", d=1, c=16, s=1, gs=4, br=0.25),
              ByoBlockCfg(type="bottle", d=2, c=32, s=2, gs=4, br=0.25),
              ByoBlockCfg(type="bottle", d=1, c=64, s=2, gs=4, br=0.25))
    return ByobNet(ByoModelCfg(blocks=blocks, stem_chs=8, stem_type="tiered", stem_pool="maxpool", act_layer="silu"),
                   num_classes=num_classes)


def small_hf_bit_config(same_padding=False, num_labels=10):
    """A transformers BitConfig for a narrow pre-activation Big Transfer, with 4 groups where BiT
    has 32; `same_padding` as google/bit-50 is configured (TensorFlow's 'SAME': on an even map, a
    3x3 stride-2 convolution and the stem's max pooling pad one row and column after it and none
    before)."""
    from transformers import BitConfig

    config = BitConfig(embedding_size=8, hidden_sizes=[16, 32, 64, 128], depths=[1, 2, 1, 1], layer_type="preactivation",
                       num_groups=4, num_labels=num_labels)
    if same_padding:
        config.global_padding, config.embedding_dynamic_padding = "SAME", True
    return config


def small_hf_config(layer_type="basic", num_labels=10):
    from transformers import ResNetConfig

    return ResNetConfig(embedding_size=8, hidden_sizes=[8, 16, 32, 64], depths=[1, 2, 1, 1], layer_type=layer_type,
                        num_labels=num_labels)
