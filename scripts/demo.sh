#!/usr/bin/env bash
# The newcomer's first command (README): installs what is needed, builds Pare, and runs the main
# job on the bundled default — the small Fashion-MNIST CNN in fixtures/models/.
#
# Today's main job: inspect the model, validate it against onnx's checker rules, convert it
# (weights into external data and back; initializers to safetensors, PyTorch and NumPy and back
# into the graph with --into), then prune half of its channels and check the slim model — with
# onnxruntime confirming on Fashion-MNIST test images that every converted model computes the same
# thing and that the pruned model runs, smaller and faster. Training on Fashion-MNIST (and
# fine-tuning after pruning) arrives with the engine issues, on the same defaults.
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

echo; echo "== pare groups $MODEL: the channels that must be removed together"
$PARE groups "$MODEL"
echo; echo "== pare prune: half of every prunable group's channels, lowest L2 magnitude first"
$PARE prune "$MODEL" --method l2 --channel-ratio 0.5 -o "$OUT/fmnist_cnn_slim.onnx" --report "$OUT/prune_report.json"
$PARE check "$OUT/fmnist_cnn_slim.onnx"

echo; echo "== onnxruntime: the pruned model passes onnx's full check and runs on Fashion-MNIST test images"
.venv/bin/python - "$MODEL" "$OUT/fmnist_cnn_slim.onnx" <<'PY'
import gzip, sys, time, numpy as np, onnx, onnxruntime as ort
onnx.checker.check_model(onnx.load(sys.argv[2]), full_check=True)
with gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz") as f:
    images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)[:1024]
x = ((images.astype(np.float32) / 255.0) - 0.2860) / 0.3530
for path in sys.argv[1:]:
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    sess.run(None, {"image": x})
    t = time.perf_counter()
    for _ in range(5):
        y = sess.run(None, {"image": x})[0]
    print(f"{path}: logits {y.shape}, {(time.perf_counter() - t) / 5 * 1000:.1f} ms per 1024 images")
print("(the bundled model is randomly initialised: accuracy before and after pruning is chance;"
      " pare train can train it, see docs/training.md; pruning does not fine-tune yet)")
PY


echo; echo "== pare run: the original and the pruned model on Pare's own engine, checked against onnxruntime"
.venv/bin/python - "$OUT/images.npy" <<'PY'
import gzip, sys, numpy as np
with gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz") as f:
    images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)[:1024]
np.save(sys.argv[1], ((images.astype(np.float32) / 255.0) - 0.2860) / 0.3530)
PY
for m in "$MODEL" "$OUT/fmnist_cnn_slim.onnx"; do
  name=$(basename "$m" .onnx)
  $PARE run "$m" --input image="$OUT/images.npy" --output-dir "$OUT/run_$name"
  $PARE bench "$m" --batch 1024 --runs 5 | head -n 1
done
.venv/bin/python - "$MODEL" "$OUT/fmnist_cnn_slim.onnx" "$OUT" <<'PY'
import os, sys, numpy as np, onnxruntime as ort
x = np.load(os.path.join(sys.argv[3], "images.npy"))
for path in sys.argv[1:3]:
    ref = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"image": x})[0]
    name = os.path.splitext(os.path.basename(path))[0]
    got = np.load(os.path.join(sys.argv[3], f"run_{name}", "logits.npy"))
    print(f"{path}: pare run vs onnxruntime, max |difference| {np.abs(got - ref).max():.2g} (logits up to {np.abs(ref).max():.2g})")
PY
