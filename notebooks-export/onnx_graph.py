"""Reading an ONNX graph's nodes: their attributes, and the module of the network each belongs to."""
import ast


def attributes(node):
    import onnx
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def module_path(node):
    """The module a node belongs to, for block names and messages: torch.onnx's dynamo exporter
    records it ("pkg.torch.onnx.name_scopes": ['', 'layer1', 'layer1.0', 'add']); the TorchScript
    exporter puts it in the node name ('/layer1/layer1.0/conv1/Conv' -> 'layer1.0.conv1'; each
    part is the full dotted path, or a Sequential's child named after it as timm's are, as in
    '/stages/stages.0/blocks/blocks.0/Add' -> 'stages.0.blocks.0', or a child of the part
    before); other names are kept whole."""
    for prop in node.metadata_props:
        if prop.key == "pkg.torch.onnx.name_scopes":
            try:
                scopes = ast.literal_eval(prop.value)
            except (ValueError, SyntaxError):
                break
            if len(scopes) >= 2 and scopes[-2]:
                return scopes[-2]
    node_name = node.name or node.output[0]
    parts = [p for p in node_name.split("/") if p]
    if len(parts) < 2:
        return node_name
    path = ""
    for part in parts[:-1]:
        parent, _, last = path.rpartition(".")
        if not path or part.startswith(path + "."):
            path = part
        elif part.startswith(last + "."):
            path = f"{parent}.{part}" if parent else part
        else:
            path = f"{path}.{part}"
    return path
