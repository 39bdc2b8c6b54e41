#!/usr/bin/env bash
# Peak memory of a large run: hf-extract over N synthetic models with 4 KB cards, under
# /usr/bin/time -v, against the mock Hub (no latency). Prints the peak RSS in MiB.
# Usage: benches/scripts/memory.sh [MODELS=100000] [IN_FLIGHT=32] [CARD_BYTES=4096] [VARIETY=varied]
# VARIETY: `varied` (each model its own keywords, datasets, papers, parents, license and
# languages, from vocabularies of tens of thousands) or `repetitive` (five families of models
# sharing a handful of lists).
set -euo pipefail
cd "$(dirname "$0")/../.."
models=${1:-100000}
in_flight=${2:-32}
card_bytes=${3:-4096}
variety=${4:-varied}
case "$variety" in
  varied) variety_flag= ;;
  repetitive) variety_flag=--repetitive ;;
  *) echo "VARIETY must be varied or repetitive, not $variety" >&2; exit 2 ;;
esac

cargo build -q --release -p hf-extractor-examples --bin mock-hub
cargo build -q --release -p hf-extract --bin hf-extract
target=${CARGO_TARGET_DIR:-target}
work=$(mktemp -d)
mock_pid=
cleanup() {
  if [ -n "$mock_pid" ]; then kill "$mock_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$target/release/mock-hub" --models "$models" --card-bytes "$card_bytes" $variety_flag >"$work/mock.out" &
mock_pid=$!
for _ in $(seq 100); do
  [ -s "$work/mock.out" ] && break
  sleep 0.1
done
uri=$(head -1 "$work/mock.out")

# No token goes to the mock: it is not the Hub.
env -u HF_TOKEN -u HF_TOKEN_PATH HF_HOME="$work/hf-home" /usr/bin/time -v -o "$work/time.txt" \
  "$target/release/hf-extract" materialize --no-progress \
  --endpoint "$uri" --arxiv-endpoint "$uri" --arxiv-delay-ms 0 \
  --num-models "$models" --threads "$in_flight" --enrichment-threads "$in_flight" \
  --models-file "$work/no-model-ids.txt" --output-dir "$work/out" >"$work/run.txt" 2>"$work/log.txt" || {
  echo "hf-extract failed:" >&2
  tail -20 "$work/log.txt" >&2
  exit 1
}
if [ -n "${MEMORY_VERBOSE:-}" ]; then cat "$work/run.txt"; else grep -E "^HTTP|hf_raw_models " "$work/run.txt"; fi
wall=$(grep "Elapsed (wall clock)" "$work/time.txt" | awk '{print $NF}')
kib=$(grep "Maximum resident set size" "$work/time.txt" | awk '{print $NF}')
echo "$models $variety models, ${card_bytes}-byte cards, $in_flight in flight: wall $wall, peak RSS $((kib / 1024)) MiB"
