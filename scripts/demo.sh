#!/usr/bin/env bash
# The newcomer's first command (README): installs what is needed, builds Pare, and runs the main
# job on the bundled default — the small Fashion-MNIST CNN in fixtures/models/.
#
# Today's main job is the foundation: inspect the model, validate it against onnx's checker rules,
# convert it (weights into external data and back; initializers to safetensors, PyTorch and NumPy
# and back into the graph with --into), with onnxruntime confirming on Fashion-MNIST test images
# that every converted model computes the same thing. Training on Fashion-MNIST and pruning
# arrive with the engine and pruning issues; this script will run them on the same defaults then.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== building pare (release)"
swift build -c release --product pare 2>&1 | tail -n 1
PARE=.build/release/pare
MODEL=fixtures/models/fmnist_cnn.onnx
OUT=out/demo
mkdir -p "$OUT"

echo; echo "== pare inspect $MODEL"
$PARE inspect "$MODEL"
echo; echo "== pare check $MODEL"
$PARE check "$MODEL"
echo; echo "== pare convert: weights into external data, then back inline"
$PARE convert "$MODEL" "$OUT/fmnist_cnn_ext.onnx" --external-data --threshold 1024
$PARE convert "$OUT/fmnist_cnn_ext.onnx" "$OUT/fmnist_cnn_inline.onnx" --inline
cmp -s "$MODEL" "$OUT/fmnist_cnn_inline.onnx" && echo "round trip: byte-identical to the original"

echo; echo "== weights: ONNX initializers → safetensors → PyTorch → NumPy → back into the graph"
$PARE convert "$MODEL" "$OUT/weights.safetensors"
$PARE convert "$OUT/weights.safetensors" "$OUT/weights.pt"
$PARE convert "$OUT/weights.pt" "$OUT/weights.npz"
$PARE inspect "$OUT/weights.npz" | sed -n 1,4p
$PARE convert "$OUT/weights.npz" --into "$MODEL" -o "$OUT/fmnist_cnn_into.onnx" | tail -n 2

echo; echo "== onnxruntime on Fashion-MNIST test images: original vs converted"
.venv/bin/python - "$MODEL" "$OUT/fmnist_cnn_ext.onnx" "$OUT/fmnist_cnn_into.onnx" <<'PY'
import gzip, sys, numpy as np, onnxruntime as ort
with gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz") as f:
    images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)[:256]
x = ((images.astype(np.float32) / 255.0) - 0.2860) / 0.3530
outs = [ort.InferenceSession(p, providers=["CPUExecutionProvider"]).run(None, {"image": x})[0] for p in sys.argv[1:]]
print(f"{len(x)} images, logits {outs[0].shape}; converted models identical: "
      f"{all(np.array_equal(outs[0], o) for o in outs[1:])}")
PY
