#!/usr/bin/env bash
# One command on a fresh Debian 12 + Node 20 machine: system packages, npm ci, the native build,
# then the main job. Run from the repository root: bash scripts/quickstart.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq libdnnl-dev g++ make python3 >/dev/null
npm ci
npm run build
# The main job: the paper's network, its layers and costs.
node dist/src/cli/main.js summary cmv3 --width 0.5
