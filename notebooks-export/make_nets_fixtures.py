"""Makes the PyTorch parity fixtures in Tests/NetsTests/Fixtures.

For each network: a model file (random weights, non-trivial batch-norm statistics), exported by
the general path of export_pytorch.py (torch.export's graph, blocks found by Unravel), and a
fixture file holding a small batch of inputs, PyTorch's logits, and PyTorch's gradient of the
summed cross-entropy at the input. Most also hold logits with blocks removed, computed by
replacing the block in PyTorch with what its layout leaves when the branch is gone, as an
independent oracle for lesions. Besides the reference families (unravel_models.py), the
networks include the layouts users bring (zoo_layouts.py): kuangliu's CIFAR ResNet-18 and
PreActResNet-18, timm's resnet18d, seresnet18, an ECA-ResNet, resnetv2_50d, a Big Transfer
ResNetV2 and a '-ts' ByobNet (SiLU), a transformers ResNet and Big Transfer (with 'SAME'
padding), and senet.pytorch's CIFAR SE-ResNet (squeeze-excitation of Linear layers), all narrow.

    python3 notebooks-export/make_nets_fixtures.py Tests/NetsTests/Fixtures
    ONLY=timm_resnetv2_50d python3 notebooks-export/make_nets_fixtures.py Tests/NetsTests/Fixtures
"""
import contextlib
import os
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_pytorch as ex  # noqa: E402
import unravel_models as um  # noqa: E402
import zoo_layouts as zoo  # noqa: E402


class Lesioned(nn.Module):
    """A residual block with its branch removed: what remains is its shortcut (and merge ReLU)."""

    def __init__(self, block):
        super().__init__()
        self.block = block

    def forward(self, x):
        b = self.block
        kind = type(b).__name__
        if isinstance(b, um.BasicBlock):
            return torch.relu(b.shortcut(x)) if b.has_shortcut else torch.relu(x)
        if isinstance(b, um.PreActBlock):
            return b.shortcut(torch.relu(b.bn1(x))) if b.projection else b.shortcut(x)
        if isinstance(b, um.HighwayLayer):
            return x * (1 - torch.sigmoid(b.gate(x)))
        if kind == "_KuangliuBlock":
            return torch.relu(b.shortcut(x))
        if kind == "_KuangliuPreActBlock":
            return b.shortcut(torch.relu(b.bn1(x))) if hasattr(b, "shortcut") else x
        if kind in ("ResNetBasicLayer", "ResNetBottleNeckLayer"):   # transformers
            return b.activation(b.shortcut(x))
        if kind == "BottleneckBlock":   # timm's ByobNet: act(shortcut(x))
            return b.act(b.shortcut(x))
        if kind in ("PreActBasic", "PreActBottleneck", "BitPreActivationBottleneckLayer"):
            # timm's ResNetV2 and transformers' Big Transfer: downsample(norm1(x)) or x
            return b.downsample(b.norm1(x)) if b.downsample is not None else x
        if kind in ("BasicBlock", "Bottleneck", "_SenetBlock"):   # torchvision, timm, senet.pytorch: relu(downsample(x) or x)
            return torch.relu(b.downsample(x) if b.downsample is not None else x)
        raise TypeError(type(b))


class Scaled(nn.Module):
    """A residual block with its branch's output multiplied by alpha before the merge."""

    def __init__(self, block, alpha):
        super().__init__()
        self.block, self.alpha = block, alpha

    def forward(self, x):
        b, a = self.block, self.alpha
        if isinstance(b, um.BasicBlock):
            return torch.relu(a * b.bn2(b.conv2(torch.relu(b.bn1(b.conv1(x))))) + b.shortcut(x))
        if isinstance(b, um.PreActBlock):
            pre = torch.relu(b.bn1(x))
            skip = b.shortcut(pre) if b.projection else b.shortcut(x)
            return a * b.conv2(torch.relu(b.bn2(b.conv1(pre)))) + skip
        if isinstance(b, um.HighwayLayer):
            t = torch.sigmoid(b.gate(x))
            return a * torch.relu(b.bn(b.conv(x))) * t + x * (1 - t)
        if type(b).__name__ == "Bottleneck":   # torchvision
            out = torch.relu(b.bn1(b.conv1(x)))
            out = b.bn3(b.conv3(torch.relu(b.bn2(b.conv2(out)))))
            return torch.relu(a * out + (b.downsample(x) if b.downsample is not None else x))
        if type(b).__name__ == "_SenetBlock":   # senet.pytorch, as its forward writes it
            out = b.se(b.bn2(b.conv2(b.relu(b.bn1(b.conv1(x))))))
            return torch.relu(a * out + (b.downsample(x) if b.downsample is not None else x))
        if type(b).__name__ == "BottleneckBlock":   # timm's ByobNet, as its forward writes it
            h = b.attn_last(b.conv3_1x1(b.attn(b.conv2b_kxk(b.conv2_kxk(b.conv1_1x1(x))))))
            return b.act(a * h + b.shortcut(x))
        if type(b).__name__ in ("PreActBottleneck", "BitPreActivationBottleneckLayer"):
            # timm's ResNetV2 and transformers' Big Transfer, as their forwards write it
            pre = b.norm1(x)
            skip = b.downsample(pre) if b.downsample is not None else x
            return a * b.conv3(b.norm3(b.conv2(b.norm2(b.conv1(pre))))) + skip
        raise TypeError(type(b))


@contextlib.contextmanager
def swapped(model, replacements):
    """Blocks replaced for the duration: `replacements` maps a block's number to a function from
    the block to what runs in its place."""
    places = blocks_in_order(model)

    def put(parent, key, module):
        if isinstance(key, int):
            parent[key] = module
        else:
            setattr(parent, key, module)

    saved = []
    try:
        for index, replacement in replacements.items():
            parent, key = places[index]
            block = parent[key] if isinstance(key, int) else getattr(parent, key)
            put(parent, key, replacement(block))
            saved.append((parent, key, block))
        yield
    finally:
        for parent, key, block in saved:
            put(parent, key, block)


def replaced_logits(model, x, index, replacement):
    """Logits with block `index` replaced by replacement(block)."""
    with swapped(model, {index: replacement}), torch.no_grad():
        return logits_of(model(x))


MASK64 = (1 << 64) - 1


class SplitMix64:
    """The generator Unravel's seeded experiments use (Sources/Nets/SplitMix64.swift), written
    again from its definition."""

    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE5E4B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049EB2D7C98BB) & MASK64
        return z ^ (z >> 31)


def reinitialized_state(block_module, block_index, seed, prefix):
    """A block's weights redrawn as docs/results-format.md specifies for `lesion reinit`:
    He-normal (fan out) convolutions, zero biases, identity batch and group norms; SplitMix64 seeded with
    seed + block, names in sorted order, one Box-Muller pair per value."""
    import math

    generator = SplitMix64(seed + block_index)
    state = {prefix + k: v for k, v in block_module.state_dict().items() if not k.endswith("num_batches_tracked")}
    redrawn = {}
    for name in sorted(state):
        shape = tuple(state[name].shape)
        base = name.rsplit(".", 1)[0]
        norm = base + ".running_mean" in state or len(shape) == 1   # a batch or group norm's scale
        if name.endswith(".running_var") or (norm and name.endswith(".weight")):
            values = np.ones(shape, np.float32)
        elif name.endswith(".weight") and len(shape) >= 2:
            std = math.sqrt(2 / (shape[0] * int(np.prod(shape[2:]))))
            flat = []
            for _ in range(int(np.prod(shape))):
                u1 = ((generator.next() >> 11) + 1) / 9007199254740992
                u2 = (generator.next() >> 11) / 9007199254740992
                flat.append(np.float32(std * (math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2))))
            values = np.array(flat, np.float32).reshape(shape)
        else:
            values = np.zeros(shape, np.float32)
        redrawn[name] = values
    return redrawn


def reinitialized_logits(model, x, index, seed):
    """Logits with block `index`'s weights redrawn; also the redrawn weights by state_dict name."""
    parent, key = blocks_in_order(model)[index]
    block = parent[key]
    prefix = next(name for name, m in model.named_modules() if m is block) + "."
    redrawn = reinitialized_state(block, index, seed, prefix)
    saved = {k: v.clone() for k, v in block.state_dict().items()}
    with torch.no_grad():
        block.load_state_dict({k[len(prefix):]: torch.from_numpy(v) for k, v in redrawn.items()}, strict=False)
        logits = logits_of(model(x))
        block.load_state_dict(saved)
    return logits, redrawn


BLOCK_KINDS = {"BasicBlock", "PreActBlock", "HighwayLayer", "Transition", "Bottleneck", "_KuangliuBlock",
               "_KuangliuPreActBlock", "ResNetBasicLayer", "ResNetBottleNeckLayer", "PreActBasic", "PreActBottleneck",
               "BottleneckBlock", "BitPreActivationBottleneckLayer", "_SenetBlock"}


def blocks_in_order(model):
    """(parent, key) for each block, in the order they run (the order Unravel numbers them)."""
    found = []

    def walk(parent):
        for key, child in parent.named_children():
            if type(child).__name__ in BLOCK_KINDS:
                found.append((parent, int(key) if key.isdigit() else key))
            else:
                walk(child)

    walk(model)
    return found


def logits_of(output):
    """Hugging Face models return a ModelOutput; the others the logits."""
    return output.logits if hasattr(output, "logits") else output


def lesioned_logits(model, x, drop):
    """Logits with the blocks in `drop` replaced by their shortcuts."""
    def lesioned(block):
        if isinstance(block, um.Transition):
            raise ValueError("a transition changes the shape and cannot be dropped")
        return Lesioned(block)

    with swapped(model, {index: lesioned for index in drop}), torch.no_grad():
        return logits_of(model(x))


def reordered_logits(model, x, order):
    """Logits with the blocks run in `order` (a permutation within stages)."""
    places = blocks_in_order(model)
    originals = [parent[key] for parent, key in places]
    for (parent, key), source in zip(places, order):
        parent[key] = originals[source]
    with torch.no_grad():
        logits = model(x)
    for (parent, key), block in zip(places, originals):
        parent[key] = block
    return logits


def path_gradient(model, x, labels, branch_blocks):
    """The input gradient carried by one path of a post-activation CIFAR ResNet: through the
    branch of the blocks in `branch_blocks` and the shortcut of the others, every Jacobian taken
    at the real forward point (ReLU masks from the whole network's forward pass).

    Each block is re-evaluated at its real input plus a zero-valued tensor that carries the
    gradient (inp + (h - h.detach())), so values stay at the forward point while autograd
    follows only the chosen path."""
    with torch.no_grad():
        stem = torch.relu(model.bn1(model.conv1(x)))
        inputs, outputs, h = [], [], stem
        for layer in (model.layer1, model.layer2, model.layer3):
            for block in layer:
                inputs.append(h)
                h = block(h)
                outputs.append(h)
    x = x.clone().requires_grad_(True)
    carried = torch.relu(model.bn1(model.conv1(x)))
    blocks = [b for layer in (model.layer1, model.layer2, model.layer3) for b in layer]
    for i, block in enumerate(blocks):
        at = inputs[i] + (carried - carried.detach())
        if i in branch_blocks:
            part = block.bn2(block.conv2(torch.relu(block.bn1(block.conv1(at)))))
        else:
            part = block.shortcut(at)
        carried = part * (outputs[i] > 0)
    at = outputs[-1] + (carried - carried.detach())
    logits = model.linear(torch.nn.functional.adaptive_avg_pool2d(at, 1).flatten(1))
    (gradient,) = torch.autograd.grad(nn.functional.cross_entropy(logits, labels, reduction="sum"), x)
    return gradient


class _ReluInputs(TorchFunctionMode):
    """Every tensor a ReLU sees, however it is called (nn.ReLU, F.relu, torch.relu, in place)."""

    RELUS = {F.relu, torch.relu, torch.relu_, torch.Tensor.relu, torch.Tensor.relu_}

    def __init__(self):
        super().__init__()
        self.inputs = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func in self.RELUS:
            self.inputs.append(args[0].detach().clone())
        return func(*args, **(kwargs or {}))


def relu_margins(model, x):
    """Per image, the smallest |value| relative to the largest, over every batch-norm output and
    every ReLU input: how close some value that a ReLU will see comes to zero. The ReLU inputs
    include a post-activation block's merge, relu(branch + shortcut), which no batch norm sees."""
    margins = torch.full((x.shape[0],), float("inf"))
    hooks = []

    def update(output):
        # Exact zeros (a zero-initialised gamma's output) are exact in every engine.
        flat = output.detach().flatten(1).abs()
        nonzero = torch.where(flat > 0, flat, torch.full_like(flat, float("inf")))
        margins.copy_(torch.minimum(margins, nonzero.min(1).values / flat.max(1).values.clamp_min(1e-30)))

    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            hooks.append(module.register_forward_hook(lambda _m, _i, output: update(output)))
    relus = _ReluInputs()
    with torch.no_grad(), relus:
        model(x)
    for hook in hooks:
        hook.remove()
    for value in relus.inputs:
        if value.dim() >= 2 and value.shape[0] == x.shape[0]:
            update(value)
    return margins


def well_conditioned_inputs(model, batch, input_shape, generator, margin=1e-6):
    """Random inputs, redrawing any image whose activations come within `margin` of a ReLU's
    kink: there, float rounding (ours folds batch norm into convolutions; PyTorch does not) can
    flip a ReLU and change that image's gradient far beyond rounding. Plain nets with random
    weights hit this often."""
    x = torch.randn(batch, *input_shape, generator=generator)
    for _ in range(50):
        bad = relu_margins(model, x) < margin
        if not bad.any():
            return x
        x[bad] = torch.randn(int(bad.sum()), *input_shape, generator=generator)
    raise SystemExit("make_nets_fixtures: could not draw well-conditioned inputs")


def replaced_gradient(model, x, labels, index, replacement):
    """The input gradient of the summed cross-entropy with block `index` replaced."""
    with swapped(model, {index: replacement}):
        x = x.clone().requires_grad_(True)
        loss = nn.functional.cross_entropy(logits_of(model(x)), labels, reduction="sum")
        (gradient,) = torch.autograd.grad(loss, x)
        return gradient


def patched_logits(model, x, index, donor):
    """Logits with block `index`'s output replaced by image `donor`'s output, for every image:
    activation patching with a PyTorch forward hook."""
    parent, key = blocks_in_order(model)[index]
    block = parent[key]
    handle = block.register_forward_hook(lambda _m, _i, output: output[donor:donor + 1].expand_as(output).clone())
    try:
        with torch.no_grad():
            return logits_of(model(x))
    finally:
        handle.remove()


def branch_output(b, x):
    """What a block's branch adds, before the merge (the reference layouts)."""
    if isinstance(b, um.BasicBlock):
        return b.bn2(b.conv2(torch.relu(b.bn1(b.conv1(x)))))
    if isinstance(b, um.PreActBlock):
        return b.conv2(torch.relu(b.bn2(b.conv1(torch.relu(b.bn1(x))))))
    raise TypeError(type(b))


class MeanReplaced(nn.Module):
    """A block whose branch output is replaced by a fixed tensor (mean ablation)."""

    def __init__(self, block, mean):
        super().__init__()
        self.block, self.mean = block, mean

    def forward(self, x):
        b = self.block
        if isinstance(b, um.BasicBlock):
            return torch.relu(self.mean + b.shortcut(x))
        skip = b.shortcut(torch.relu(b.bn1(x))) if b.projection else b.shortcut(x)
        return self.mean + skip


def mean_ablated(model, x, index):
    """The mean of block `index`'s branch output over the images of x, and the logits with the
    branch replaced by it."""
    parent, key = blocks_in_order(model)[index]
    block = parent[key]
    seen = []
    handle = block.register_forward_pre_hook(lambda _m, inputs: seen.append(inputs[0].detach()))
    with torch.no_grad():
        model(x)
        handle.remove()
        mean = branch_output(block, seen[0]).mean(0, keepdim=True)
    return mean[0], replaced_logits(model, x, index, lambda b: MeanReplaced(b, mean))


def recalibrated_logits(model, x, recalibration, index):
    """Logits with block `index` removed and every batch norm that runs after it re-estimated on
    `recalibration`: in the order they run, each from the activations the re-estimated ones before
    it produce, mean and biased variance over every pixel of every image."""
    import copy

    model = copy.deepcopy(model)
    parent, key = blocks_in_order(model)[index]
    parent[key] = Lesioned(parent[key])
    calls, after = [], []
    marker = parent[key].register_forward_hook(lambda *_: calls.append("lesioned"))
    handles = [m.register_forward_pre_hook(lambda m, _i: calls.append(m)) for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    with torch.no_grad():
        model(recalibration)
    for handle in handles + [marker]:
        handle.remove()
    seen = False
    for call in calls:
        if call == "lesioned":
            seen = True
        elif seen:
            after.append(call)
    with torch.no_grad():
        for bn in after:
            captured = []
            handle = bn.register_forward_pre_hook(lambda _m, inputs: captured.append(inputs[0]))
            model(recalibration)
            handle.remove()
            bn.running_mean.copy_(captured[0].mean((0, 2, 3)))
            bn.running_var.copy_(captured[0].var((0, 2, 3), unbiased=False))
        return logits_of(model(x)), len(after)


def make(out, name, model, input_shape, drops=(), batch=4, seed=0, reorder=None, paths=(), duplicates=(), scales=(),
         gradients=(), reinits=(), patches=(), ablations=(), recalibrations=()):
    if os.environ.get("ONLY") and name not in os.environ["ONLY"].split(","):
        return
    generator = torch.Generator().manual_seed(seed)
    um.randomize_batchnorm(model, generator)
    model.eval()
    written, _ = ex.graph_capture.standardized_weights(model)   # the oracles below run `model` as it is
    arch = ex.architecture(written, input_shape, name=name, plain=ex.plain_blocks(model))
    ex.write_model(os.path.join(out, f"{name}.model.h5"), arch, written.state_dict(), source="make_nets_fixtures.py")
    x = well_conditioned_inputs(model, batch, input_shape, generator)
    labels = torch.randint(0, ex.classes(arch), (batch,), generator=generator)
    x.requires_grad_(True)
    logits = logits_of(model(x))
    loss = nn.functional.cross_entropy(logits, labels, reduction="sum")
    (gradient,) = torch.autograd.grad(loss, x)
    with h5py.File(os.path.join(out, f"{name}.expected.h5"), "w") as f:
        f["input"] = x.detach().numpy().astype(np.float32)
        f["labels"] = labels.numpy().astype(np.int64)
        f["logits"] = logits.detach().numpy().astype(np.float32)
        f["input_gradient"] = gradient.numpy().astype(np.float32)
        for drop in drops:
            key = "dropped_" + "_".join(map(str, drop))
            f[key] = lesioned_logits(model, x.detach(), drop).numpy().astype(np.float32)
        for path in paths:
            key = "path_" + ("_".join(map(str, path)) if path else "none")
            f[key] = path_gradient(model, x.detach(), labels, set(path)).numpy().astype(np.float32)
        for index in duplicates:   # the block run twice: nn.Sequential(block, block)
            f[f"duplicated_{index}"] = replaced_logits(model, x.detach(), index, lambda b: nn.Sequential(b, b)).numpy()
        for index, alpha in scales:
            f[f"scaled_{index}_{alpha}"] = replaced_logits(model, x.detach(), index, lambda b: Scaled(b, alpha)).numpy()
        if recalibrations:
            # Its own images: recalibration data need not be the evaluation data.
            recal = torch.randn(16, *input_shape, generator=torch.Generator().manual_seed(seed + 100))
            f["recalibration_input"] = recal.numpy()
            for index in recalibrations:
                logits_recal, count = recalibrated_logits(model, x.detach(), recal, index)
                f[f"recalibrated_{index}"] = logits_recal.numpy()
                f[f"recalibrated_{index}"].attrs["batch_norms"] = count
        for index in ablations:
            mean, logits_ablated = mean_ablated(model, x.detach(), index)
            f[f"ablated_{index}"] = logits_ablated.numpy()
            f[f"ablated_mean_{index}"] = mean.numpy()
        for index, donor in patches:
            f[f"patched_{index}_{donor}"] = patched_logits(model, x.detach(), index, donor).numpy()
        for index, reinit_seed in reinits:
            logits_reinit, redrawn = reinitialized_logits(model, x.detach(), index, reinit_seed)
            f[f"reinit_{index}_{reinit_seed}"] = logits_reinit.numpy()
            for weight, values in redrawn.items():
                f[f"reinit_weights_{index}_{reinit_seed}/{weight}"] = values
        for kind, index, alpha in gradients:   # through an intervention
            replacement = (lambda b: nn.Sequential(b, b)) if kind == "duplicated" else (lambda b: Scaled(b, alpha))
            key = f"gradient_{kind}_{index}" + (f"_{alpha}" if kind == "scaled" else "")
            f[key] = replaced_gradient(model, x.detach(), labels, index, replacement).numpy()
        if reorder:
            f["reordered_" + "_".join(map(str, reorder))] = reordered_logits(model, x.detach(), reorder).numpy()
        f.attrs["torch_version"] = str(torch.__version__)
    print(f"wrote {name}: {len(arch['graph']['nodes'])} graph nodes")


def make_norms(out):
    """PyTorch's inference batch norm and group norm on inputs whose mean the norms' shifts
    nearly cancel (x around 5, outputs around 0), where one rounding and two part: the outputs
    Unravel must give bit for bit (batch norm) and PyTorch's group-norm moments beside its output."""
    if os.environ.get("ONLY") and "norms" not in os.environ["ONLY"].split(","):
        return
    generator = torch.Generator().manual_seed(7)
    x = torch.randn(2, 16, 5, 7, generator=generator) * 3 + 5
    with h5py.File(os.path.join(out, "norms.h5"), "w") as f:
        f["input"] = x.numpy()
        bn = nn.BatchNorm2d(16).eval()
        with torch.no_grad():
            bn.weight.copy_(torch.rand(16, generator=generator) + 0.5)
            bn.bias.copy_(torch.randn(16, generator=generator))
            bn.running_mean.copy_(5 + torch.randn(16, generator=generator) * 0.1)
            bn.running_var.copy_(torch.rand(16, generator=generator) * 8 + 1)
            for key, value in bn.state_dict().items():
                if key != "num_batches_tracked":
                    f[f"bn/{key}"] = value.numpy()
            f["bn/output"] = bn(x).numpy()
            f["bn/output_relu"] = torch.relu(bn(x)).numpy()
            gamma, beta = torch.rand(16, generator=generator) + 0.5, torch.randn(16, generator=generator)
            y, mean, rstd = torch.native_group_norm(x, gamma, beta, 2, 16, 35, 4, 1e-5)
            f["gn/weight"], f["gn/bias"], f["gn/output"] = gamma.numpy(), beta.numpy(), y.numpy()
            f["gn/mean"], f["gn/rstd"] = mean.numpy(), rstd.numpy()
        f.attrs["torch_version"] = str(torch.__version__)
    print("wrote norms")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "Tests/NetsTests/Fixtures"
    os.makedirs(out, exist_ok=True)
    make_norms(out)
    torch.manual_seed(0)
    make(out, "resnet20_a", um.CifarResNet(20, "A"), (3, 32, 32), drops=[(1,), (3,), (6,), (2, 5, 8)],
         reorder=[0, 2, 1, 3, 5, 4, 6, 8, 7], paths=[(), (4,), (0, 3, 7), tuple(range(9))],
         duplicates=[0, 4, 8], scales=[(1, 0.5), (3, 2.0), (7, -1.0)],
         gradients=[("duplicated", 4, None), ("scaled", 3, 2.0), ("scaled", 0, 0.5)], reinits=[(2, 7), (3, 7)],
         patches=[(4, 1), (8, 0)], ablations=[0, 3, 5], recalibrations=[1, 3, 8])
    make(out, "resnet20_a_append", um.CifarResNet(20, "A", placement="append"), (3, 32, 32), drops=[(3,)])
    make(out, "resnet20_b", um.CifarResNet(20, "B"), (3, 32, 32), drops=[(3,), (4,)])
    make(out, "resnet8_c", um.CifarResNet(8, "C"), (3, 16, 16), drops=[(0,), (1,)], paths=[(1,), (0, 2)])
    make(out, "preact20_a", um.PreActResNet(20, "A"), (3, 32, 32), drops=[(1,), (3,), (6,)],
         reorder=[1, 0, 2, 3, 4, 5, 6, 7, 8], duplicates=[2, 5], scales=[(0, 1.5), (6, 0.25)],
         gradients=[("scaled", 6, 0.25), ("duplicated", 2, None)], reinits=[(4, 11)], ablations=[1, 6], recalibrations=[0, 6])
    make(out, "preact8_b", um.PreActResNet(8, "B"), (3, 16, 16), drops=[(1,)])
    make(out, "plain20", um.PlainNet(20), (3, 32, 32), drops=[(1,)])
    make(out, "highway", um.HighwayNet(2), (3, 16, 16), drops=[(0,), (4,)], duplicates=[1], scales=[(4, 0.5)],
         recalibrations=[1])
    make(out, "bottleneck_small", um.small_bottleneck_resnet(), (3, 64, 64), drops=[(0,), (2,)], duplicates=[2],
         scales=[(2, 0.5)])
    # The layouts users bring.
    make(out, "kuangliu_resnet18", zoo.KuangliuResNet18(width=4), (3, 32, 32), drops=[(0,), (2,), (7,)])
    make(out, "kuangliu_preact18", zoo.KuangliuPreActResNet18(width=4), (3, 32, 32), drops=[(1,), (2,)])
    make(out, "timm_resnet18d", zoo.narrow_timm("resnet18d", channels=(4, 8, 16, 32)), (3, 32, 32),
         drops=[(0,), (2,)])
    make(out, "timm_seresnet18", zoo.narrow_timm("seresnet18", channels=(4, 8, 16, 32)), (3, 32, 32), drops=[(1,), (4,)])
    from transformers import AutoModelForImageClassification
    make(out, "hf_resnet", AutoModelForImageClassification.from_config(zoo.small_hf_config("bottleneck")), (3, 32, 32),
         drops=[(0,), (1,)])
    # Later fixtures seed their own weights, so that each can be made alone (`ONLY=name`) and the
    # ones above stay as they were.
    torch.manual_seed(1)
    make(out, "timm_resnetv2_50d", zoo.narrow_timm_v2(), (3, 64, 64), drops=[(0,), (1,), (2,)])
    torch.manual_seed(2)
    make(out, "timm_bit", zoo.narrow_timm_bit(), (3, 64, 64), drops=[(0,), (2,)], duplicates=[2], scales=[(2, 0.5)])
    torch.manual_seed(3)
    make(out, "timm_resnext_ts", zoo.narrow_timm_ts(), (3, 64, 64), drops=[(0,), (1,), (2,), (3,)], duplicates=[2],
         scales=[(2, 0.5)])
    torch.manual_seed(4)
    make(out, "hf_bit_same", AutoModelForImageClassification.from_config(zoo.small_hf_bit_config(same_padding=True)),
         (3, 64, 64), drops=[(0,), (1,), (3,)], duplicates=[2], scales=[(2, 0.5)])
    torch.manual_seed(5)
    make(out, "timm_ecaresnet", zoo.narrow_timm("ecaresnet18d", channels=(16, 32, 64, 128)), (3, 32, 32),
         drops=[(0,), (3,), (6,)], duplicates=[1, 7])
    torch.manual_seed(6)
    make(out, "senet_cifar", zoo.SenetCifarResNet(blocks_per_stage=2, width=8, reduction=2), (3, 32, 32), drops=[(0,), (2,), (5,)],
         duplicates=[1], scales=[(3, 0.5)])


if __name__ == "__main__":
    main()
