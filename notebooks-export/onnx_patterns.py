"""The ONNX patterns export_onnx.py reads as one layer each: group norm as torch's exporters
write it (Reshape to (N, groups, -1), InstanceNormalization, Reshape back, Mul, Add), an
instance norm (a group per channel), and ECA's gate (the pooled channels as a sequence, a 1-D
Conv across them, the gate viewed back and expanded). A mixin of the Lowering: its methods use
the Lowering's constants, writers and emit."""
import numpy as np

from onnx_graph import attributes, module_path


class GroupNormParts:
    """The nodes of one group norm read so far: its input, groups and epsilon, the stage reached
    (grouped, normalized, restored, scaled) and the per-channel affine once read."""

    def __init__(self, x, groups, stage, eps=1e-5, node=None):
        self.x, self.groups, self.stage, self.eps, self.node = x, groups, stage, eps, node
        self.gamma, self.beta, self.map_channels = None, None, None

    @property
    def channels(self):
        return None if self.gamma is None else self.gamma.size


class PatternLowering:
    """The Lowering's handlers for Reshape, Shape, InstanceNormalization, Expand and 1-D Conv."""

    def channel_conv(self, node, attrs, weight):
        """ECA's excitation: one filter of odd width k across the pooled channels, viewed as a
        sequence (N, 1, C) by the Reshape before it, zero-padded to keep their number."""
        k = int(weight.shape[2])
        pads = [int(p) for p in attrs.get("pads", [0, 0])]
        if weight.shape[:2] != (1, 1) or k % 2 == 0 or pads != [k // 2] * 2 or attrs.get("group", 1) != 1 \
                or any(int(v) != 1 for v in list(attrs.get("strides", [1])) + list(attrs.get("dilations", [1]))):
            self.fail(node, "a 1-D convolution maps only as ECA's: one filter of an odd width across the pooled channels, "
                            f"zero-padded to keep their number (weight {list(weight.shape)}, pads {pads})")
        x = node.input[0]
        if x in self.pending_group and self.pending_group[x].stage == "grouped" and self.pending_group[x].groups == 1:
            x = self.pending_group.pop(x).x   # the view (N, 1, C) of the pooled channels
        name = self.layer_name(node, node.input[1])
        self.weights[f"{name}.weight"] = weight
        bias = len(node.input) > 2 and node.input[2] != ""
        if bias:
            self.weights[f"{name}.bias"] = self.constant(node, node.input[2], "bias")
        self.emit(node, "channel_conv", [self.source_of(node, x)], name=name, kernel=k, padding=[k // 2], bias=bias)

    def expand(self, node):
        """A gate broadcast to its map's shape before the Mul, which broadcasts it anyway."""
        if self.shape_of.get(node.input[1]) is None and node.input[1] not in self.constants:
            self.fail(node, "an Expand to a computed shape that is not a map's")
        self.emit(node, "identity", [self.source_of(node, node.input[0])])

    def reshape(self, node):
        """A group norm's reshapes, to (N, groups, -1) and back; else a flatten after pooling."""
        x = node.input[0]
        if x in self.pending_group and self.pending_group[x].stage == "normalized":
            parts = self.pending_group.pop(x)
            shape = node.input[1]
            # Back to the map: the Shape of the group norm's input (TorchScript exporter) or its
            # shape as a constant (dynamo exporter), whose channels the affine must then match.
            if shape in self.constants and len(self.constants[shape]) == 4:
                parts.map_channels = int(self.constants[shape][1]) or None
            elif self.shape_of.get(shape) != parts.x:
                self.fail(node, "reshapes a group norm's normalized values to something other than the map they came from")
            parts.stage = "restored"
            self.pending_group[node.output[0]] = parts
            return
        shape = self.constants.get(node.input[1])
        if shape is not None and len(shape) == 3 and int(shape[2]) == -1 and x in self.writer:
            # (N, groups, -1): a group norm's, or with one group ECA's view of pooled channels.
            self.pending_group[node.output[0]] = GroupNormParts(x, groups=int(shape[1]), stage="grouped")
            return
        if shape is not None and len(shape) == 4 and [int(v) for v in shape[2:]] == [1, 1]:
            self.emit(node, "identity", [self.source_of(node, x)])   # pooled features viewed as a 1x1 map
            return
        self.flatten(node)

    def shape(self, node):
        self.shape_of[node.output[0]] = node.input[0]

    def instance_norm(self, node):
        """Normalisation over each (image, group) of a Reshape to (N, groups, -1), or over each
        channel of the map itself, with the InstanceNormalization's own scale and shift."""
        x = node.input[0]
        eps = float(attributes(node).get("epsilon", 1e-5))
        scale, shift = (self.constant(node, node.input[i], what).astype(np.float32).reshape(-1)
                        for i, what in ((1, "scale"), (2, "shift")))
        if x in self.pending_group and self.pending_group[x].stage == "grouped":
            parts = self.pending_group.pop(x)
            if scale.size != parts.groups or not (np.all(scale == 1) and np.all(shift == 0)):
                self.fail(node, f"a group norm's normalisation of {parts.groups} groups with a scale or shift of its own "
                                "(the per-channel affine comes after the reshape back)")
            parts.eps, parts.stage, parts.node = eps, "normalized", node
            self.pending_group[node.output[0]] = parts
            return
        parts = GroupNormParts(x, groups=scale.size, stage="scaled", eps=eps, node=node)
        parts.gamma, parts.beta = scale, shift
        self.pending_group[node.output[0]] = parts
        self.settle_group_norm(node.output[0])

    def affine(self, node, tensor, channels):
        """A group norm's per-channel scale or shift, (C, 1, 1) or (1, C, 1, 1) as exporters write it."""
        values = np.asarray(self.constants[tensor], dtype=np.float32)
        if values.ndim < 3 or any(d != 1 for i, d in enumerate(values.shape) if i != values.ndim - 3):
            self.fail(node, f"a group norm's affine of shape {list(values.shape)}; one value per channel is expected")
        values = values.reshape(-1)
        if channels is not None and values.size != channels:
            self.fail(node, f"a group norm's affine of {values.size} values after {channels}")
        return values

    def settle_group_norm(self, tensor, output=None):
        """Emits the group norm whose nodes end at `tensor` (written as `output`, the Add's, when
        given): a missing scale is 1 and a missing shift 0, when the reshape back gave the channels."""
        parts = self.pending_group.pop(tensor)
        gamma = parts.gamma if parts.gamma is not None else np.ones(parts.map_channels or 0, np.float32)
        beta = parts.beta if parts.beta is not None else np.zeros_like(gamma)
        if gamma.size == 0:
            self.fail(parts.node, "a group norm without a per-channel affine, whose channel count the graph does not give")
        if gamma.size % parts.groups or parts.map_channels not in (None, gamma.size):
            self.fail(parts.node, f"a group norm of {parts.groups} groups with an affine of {gamma.size} channels "
                                  f"on a map of {parts.map_channels or 'unknown'}")
        self.group_norms += 1
        name = self.unique(module_path(parts.node))
        self.weights[f"{name}.weight"], self.weights[f"{name}.bias"] = gamma, beta
        self.emit(parts.node, "groupnorm", [self.source_of(parts.node, parts.x)], output=output or tensor, name=name,
                  groups=parts.groups, eps=parts.eps)
