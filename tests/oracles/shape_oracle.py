"""Expected shapes from onnx's own shape inference, for Pare's shape-inference oracle test.

Exports three models with the TorchScript exporter (dynamo=False), seeded and without pretrained
weights: torchvision resnet18 and mobilenet_v2 (static 1x3x224x224 input) and a 2-layer
TransformerEncoder (d_model 64, dynamic batch and sequence axes, so symbolic dims are exercised).
Each model is saved without value_info (what Pare must infer on its own), then
onnx.shape_inference.infer_shapes(data_prop=True) runs on it and the type of every value it
knows is written to <name>.shapes.json:

    {"model": "<name>.onnx", "values": {"<value>": {"elem": 1, "shape": [1, "batch", null]}}}

A dim is an int (dim_value), a string (dim_param) or null (unknown); "shape" is null when only
the element type is known.

Usage: python shape_oracle.py OUTDIR
"""
import json
import os
import sys

import onnx
import torch
import torchvision


def export(model, args, path, **kwargs):
    model.eval()
    with torch.no_grad():
        torch.onnx.export(model, args, path, dynamo=False, **kwargs)
    m = onnx.load(path)
    # Pare infers from inputs and initializers only; drop the exporter's own annotations.
    del m.graph.value_info[:]
    onnx.save(m, path)


def dim_json(d):
    if d.HasField("dim_value"):
        return d.dim_value
    if d.HasField("dim_param"):
        return d.dim_param
    return None


def expected(path):
    m = onnx.shape_inference.infer_shapes(onnx.load(path), data_prop=True)
    out = {}
    for v in list(m.graph.input) + list(m.graph.value_info) + list(m.graph.output):
        if not v.type.HasField("tensor_type"):
            continue
        t = v.type.tensor_type
        shape = [dim_json(d) for d in t.shape.dim] if t.HasField("shape") else None
        out[v.name] = {"elem": t.elem_type, "shape": shape}
    for init in m.graph.initializer:
        out.setdefault(init.name, {"elem": init.data_type, "shape": list(init.dims)})
    return out


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(outdir, exist_ok=True)
    torch.manual_seed(0)
    # The fused encoder fast path (aten::_transformer_encoder_layer_fwd) has no ONNX export.
    torch.backends.mha.set_fastpath_enabled(False)
    image = torch.randn(1, 3, 224, 224)
    models = {
        "resnet18": (torchvision.models.resnet18(weights=None), (image,), {}),
        "mobilenet_v2": (torchvision.models.mobilenet_v2(weights=None), (image,), {}),
    }
    layer = torch.nn.TransformerEncoderLayer(d_model=64, nhead=4, dim_feedforward=128, dropout=0.0,
                                             batch_first=True)
    encoder = torch.nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
    models["transformer_encoder"] = (
        encoder, (torch.randn(2, 10, 64),),
        {"input_names": ["src"], "output_names": ["out"],
         "dynamic_axes": {"src": {0: "batch", 1: "seq"}, "out": {0: "batch", 1: "seq"}}})
    for name, (model, args, kwargs) in models.items():
        path = os.path.join(outdir, name + ".onnx")
        export(model, args, path, **kwargs)
        with open(os.path.join(outdir, name + ".shapes.json"), "w") as f:
            json.dump({"model": name + ".onnx", "values": expected(path)}, f, indent=1, sort_keys=True)
        print(f"{name}: {path}")


if __name__ == "__main__":
    main()
