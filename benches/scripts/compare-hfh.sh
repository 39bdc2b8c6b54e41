#!/usr/bin/env bash
# hf-extract against huggingface_hub on the same synthetic Hub (see compare_hfh.py).
# Usage: benches/scripts/compare-hfh.sh [--models N] [--in-flight C] [--latency-ms MS]
# Makes a throw-away venv with a pinned huggingface_hub from PyPI; needs python3 and cargo.
set -euo pipefail
cd "$(dirname "$0")/../.."
HFH_VERSION=2.4.0

cargo build -q --release -p hf-extractor-examples --bin mock-hub
cargo build -q --release -p hf-extract --bin hf-extract
target=${CARGO_TARGET_DIR:-target}
venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install -q "huggingface_hub==$HFH_VERSION"
"$venv/bin/python" benches/scripts/compare_hfh.py \
  --python "$venv/bin/python" \
  --mock-hub "$target/release/mock-hub" --hf-extract "$target/release/hf-extract" "$@"
