#!/usr/bin/env bash
# Train the zstd dictionary the journal's lines are compressed with
# (hf-extractor/src/store/journal.dict) and write it there.
#
# The samples are the lines of the journal of a run over the bundled offline Hub: the real
# models and cards recorded from the Hub (testdata/hub-samples), each line one sample. The
# dictionary is what makes one line of a few kilobytes, compressed alone, small: JSON keys,
# the events' shapes, the phrases of model cards.
# Usage: benches/scripts/journal-dict.sh [DICT_BYTES=32768]
set -euo pipefail
cd "$(dirname "$0")/../.."
dict_bytes=${1:-32768}
command -v zstd >/dev/null || { echo "needs the zstd command (Debian: apt install zstd)" >&2; exit 2; }

cargo build -q --release -p hf-extract --bin hf-extract
target=${CARGO_TARGET_DIR:-target}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

env -u HF_TOKEN -u HF_TOKEN_PATH HF_HOME="$work/hf-home" \
  "$target/release/hf-extract" materialize --offline --no-progress --num-models 1000 \
  --output-dir "$work/out" >/dev/null 2>"$work/log.txt" || { tail -20 "$work/log.txt" >&2; exit 1; }
mkdir "$work/samples"
"$target/release/hf-extract" journal "$work"/out/*/ | split -l 1 -a 5 - "$work/samples/line-"
echo "$(ls "$work/samples" | wc -l) lines, $(cat "$work"/samples/* | wc -c) bytes"
zstd --train -q --maxdict="$dict_bytes" "$work"/samples/* -o hf-extractor/src/store/journal.dict
ls -l hf-extractor/src/store/journal.dict
