#!/usr/bin/env bash
# One command on a fresh Debian 12 + Node 20 machine: system packages, npm ci, the native build,
# then the main job: the paper's network, the shipped weights evaluated on CIFAR-10, and one
# epoch of training. Run from the repository root: bash scripts/quickstart.sh
# CIFAR-10 comes from CMV3_DATA, else ./data/cifar-10-batches-bin, else it is downloaded there.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq libdnnl-dev g++ make python3 >/dev/null
# onnxruntime-node (a test dependency) must not try to download CUDA files: only npm and apt are reachable.
export ONNXRUNTIME_NODE_INSTALL=skip
npm ci
npm run build
cmv3() { node dist/src/cli/main.js "$@"; }
cmv3 summary cmv3 --width 0.5
DATA="${CMV3_DATA:-./data/cifar-10-batches-bin}"
[ -f "$DATA/data_batch_1.bin" ] || cmv3 data fetch cifar10 --dir "$(dirname "$DATA")"
cmv3 eval cmv3-w0.5-cifar10 --data "$DATA"
cmv3 train --model cmv3 --width 0.5 --data "$DATA" --epochs 1 --out "runs/quickstart-$(date +%Y%m%d-%H%M%S)"
