#!/usr/bin/env bash
# Fingerprints of every file cmv3 exports for the shipped models: run before and after a change
# to the deploy code that must not change any byte (issue 22), and diff the two outputs.
#   bash scripts/export-fingerprint.sh [NEW_DIR] > before.sha   (NEW_DIR: absent or empty; default a temp folder)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-$(mktemp -d)/fp}"
if [ -e "$out" ] && [ -n "$(ls -A "$out")" ]; then echo "export-fingerprint: $out is not empty; give a new folder" >&2; exit 2; fi
mkdir -p "$out"
data="${CMV3_DATA:-../shared/datasets/cifar-10-batches-bin}"
cli="node dist/src/cli/main.js"
for m in cmv3-w0.5-cifar10 cmv3-w0.5-relu6-cifar10; do
  $cli export "$m" --format tflite -o "$out/$m.tflite" >/dev/null
  $cli export "$m" --format onnx -o "$out/$m.onnx" >/dev/null
  $cli export "$m" --format c -o "$out/$m-c" >/dev/null
  $cli export "$m" --format tflite --int8 --calibration 64 --data "$data" -o "$out/$m-int8.tflite" >/dev/null
  $cli export "$m" --format c --int8 --calibration 64 --data "$data" -o "$out/$m-int8-c" >/dev/null
  $cli deploy "$m" --target imxrt1060 --calibration 64 --data "$data" -o "$out/$m-eiq" >/dev/null
done
(cd "$out" && find . -type f | sort | xargs sha256sum)
