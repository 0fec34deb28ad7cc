#!/usr/bin/env bash
# Installs everything Pare's build, tests and benchmarks need on a fresh Debian machine:
#   - the system libraries Pare links (protobuf-c, libzip, OpenBLAS) and protoc-c for regenerating
#     the committed ONNX protobuf code;
#   - the Fashion-MNIST data package used by the default training job;
#   - a project-local Python venv (.venv) with the oracles the conformance tests compare against:
#     onnx, onnxruntime, numpy, and PyTorch (CPU) + torchvision for exporting real models.
# Idempotent: re-running it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(libprotobuf-c-dev protobuf-c-compiler libzip-dev libopenblas-dev pkg-config dataset-fashion-mnist)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

VENV=.venv
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import onnx, onnxruntime, numpy, safetensors, torch, torchvision, torch_pruning' 2>/dev/null; then
  echo "setup: building the Python oracle venv in $VENV (onnx, onnxruntime, torch CPU, torchvision)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q onnx onnxruntime numpy safetensors
  # The CPU build of torch comes from the machine's pip find-links; PyPI's Linux wheels are CUDA builds.
  "$VENV/bin/pip" install -q --no-deps torch==2.13.0 torchvision==0.28.0
  "$VENV/bin/pip" install -q filelock sympy networkx jinja2 fsspec typing_extensions pillow 'setuptools>=77.0.3' onnxscript
  "$VENV/bin/pip" install -q torch-pruning
  # torchvision's fake registrations for its compiled ops assume CUDA ops exist; make them conditional.
  MR="$("$VENV/bin/python" -c 'import sysconfig;print(sysconfig.get_paths()["purelib"])')/torchvision/_meta_registrations.py"
  sed -i 's/^@torch.library.register_fake("torchvision::\(q\?nms\)")/@(torch.library.register_fake("torchvision::\1") if torchvision.extension._has_ops() else (lambda f: f))/' "$MR"
fi
"$VENV/bin/python" -c 'import onnx, onnxruntime, torch, torchvision; print("setup: oracles ready: onnx", onnx.__version__, "onnxruntime", onnxruntime.__version__, "torch", torch.__version__)'
