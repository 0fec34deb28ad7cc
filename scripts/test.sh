#!/usr/bin/env bash
# The test command (README, .ci/run): installs what is needed, then runs every tier.
#   1. generated protobuf code is up to date with schemas/onnx.proto
#   2. the build has zero compiler warnings
#   3. unit tests (swift test)
#   4. conformance against onnx's checker and onnxruntime (ONNX backend node suite + real exports)
#   5. hostile inputs through the CLI
#   6. pruning: masked-original equivalence, Torch-Pruning parity, bad plans through the CLI
#   7. engine: onnx backend node tests, real exports vs onnxruntime, bad input (release build)
#   8. training: step parity with a PyTorch float64 replay, real data, resume after SIGKILL, bad input
# Set PARE_SKIP_CONFORMANCE=1 to stop after the unit tests (quick local runs).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

bash scripts/setup.sh
bash scripts/gen-protobuf.sh --check

echo "== build (warnings are errors)"
swift build --build-tests 2>&1 | tee .build-log.txt | grep -E "warning:|error:" || true
if grep -E "^/.*/(Sources|Tests|bench|fuzz)/.*(warning|error):" .build-log.txt >/dev/null; then
  echo "test.sh: the build has warnings or errors (see above)"; exit 1
fi
rm -f .build-log.txt

echo "== oracle data for the unit tests (onnx shape inference on real exports)"
$PY tests/oracles/shape_oracle.py .build/oracles/shapes >/dev/null
export PARE_SHAPE_ORACLE_DIR="$PWD/.build/oracles/shapes"

echo "== unit tests"
swift test 2>&1 | tail -n 60
# The kernels have a path per instruction set; the run above takes this CPU's. The AVX2 tap
# kernels can be forced on an AVX-512 CPU, and every CPU can run without them (OpenBLAS).
if grep -qw avx512f /proc/cpuinfo; then
  echo "== kernel unit tests with the AVX2 tap kernels"
  PARE_DIRECT_TAPS=avx2 swift test --skip-build --filter PareKernelsTests 2>&1 | tail -n 3
fi
echo "== kernel unit tests without the tap kernels (OpenBLAS GEMMs)"
PARE_DIRECT_TAPS=0 swift test --skip-build --filter PareKernelsTests 2>&1 | tail -n 3

[ "${PARE_SKIP_CONFORMANCE:-0}" = "1" ] && exit 0

echo "== conformance corpus"
$PY tests/conformance/make_models.py .build/conformance --big
echo "== conformance: pare convert / pare check vs onnx.checker and onnxruntime"
$PY tests/conformance/run_conformance.py --pare .build/debug/pare --models .build/conformance \
    --exclusions tests/conformance/exclusions.json

echo "== weights formats: round trips and --into against torch, safetensors, numpy, onnxruntime"
$PY tests/formats/roundtrip.py --pare .build/debug/pare --work .build/formats
echo "== an interrupted write (SIGINT, SIGTERM) leaves no temporary file"
$PY tests/formats/interrupted_write.py .build/debug/pare .build/interrupted
echo "== security corpora through the CLI"
$PY tests/formats/security.py --pare .build/debug/pare

echo "== hostile inputs"
$PY tests/hostile/make_hostile.py .build/hostile
$PY tests/hostile/run_hostile.py --pare .build/debug/pare --dir .build/hostile

echo "== pruning: models (seeded exports and fixtures)"
$PY tests/prune/make_models.py .build/prune --big
echo "== pruning: pruned model equals the masked original (20 random plans per model, onnx full_check, onnxruntime)"
$PY tests/prune/equivalence.py --pare .build/debug/pare --models .build/prune/fixtures --plans 20
# ResNet-50 and VGG-16-BN are checked against Torch-Pruning below (one plan each); 20 plans on
# them would add minutes to every run, so the equivalence sweep covers the smaller exports.
$PY tests/prune/equivalence.py --pare .build/debug/pare --models .build/prune/torchvision --plans 20 --skip resnet50 --skip vgg16_bn
echo "== pruning: parity with Torch-Pruning (groups, the same random plan, MACs)"
$PY tests/prune/tp_parity.py --pare .build/debug/pare --models .build/prune/torchvision
echo "== pruning: bad plans and requests through the CLI"
$PY tests/prune/bad_input.py --pare .build/debug/pare --model .build/prune/fixtures/residual.onnx

echo "== engine: release build of pare (real graphs at debug speed would take minutes)"
swift build -c release --product pare 2>&1 | tail -n 3
echo "== engine: onnx backend node tests through pare run (manifest: tests/engine/node_manifest.txt)"
$PY tests/engine/make_node_tests.py .build/onnx-node
$PY tests/engine/node_tests.py .build/release/pare .build/onnx-node --require-rate 0.95
echo "== engine: real exports (random weights, randomized BN statistics) vs onnxruntime"
$PY tests/engine/real_graphs.py .build/release/pare .build/engine
echo "== engine: bad input through pare run / pare bench"
$PY tests/engine/bad_input.py .build/release/pare .build/engine-bad
echo "== training: every step of 20 SGD steps vs a PyTorch float64 replay (committed fixtures: ResNet-20, MobileNetV2 blocks, VGG, conv net)"
$PY tests/train/gradient_parity.py .build/release/pare .build/train-parity
echo "== training: real data (Fashion-MNIST, 10,000 images, 1 epoch: at least 80% on the test set; onnxruntime agrees)"
$PY tests/train/real_data.py .build/release/pare .build/train-real
echo "== training: SIGKILL during epoch 2, resume, weights bit-identical to an uninterrupted run"
$PY tests/train/resume.py .build/release/pare .build/train-resume
echo "== training: bad input through pare train / pare eval"
$PY tests/train/bad_input.py .build/release/pare .build/train-bad
