#!/usr/bin/env python3
"""hf-extract against huggingface_hub, the same job on the same synthetic Hub, in one run.

The job: the latest N models with their cards and model info. huggingface_hub does it the way
users do today: `list_models(full=True, sort="last_modified", limit=N)`, then per model
`ModelCard.load` and `model_info` on a thread pool of C workers. hf-extract runs, with C in
flight, that same job (`--select hf_raw_models_latest`: the latest N models with their cards
and info, written to `hf_models_latest.json`) and then its whole pipeline (latest N with cards,
then lineage, identification, enrichment and the downstream's assets). The mock Hub counts the
requests each run made.

Run by `benches/scripts/compare-hfh.sh`, which builds the binaries and makes the venv; run it
directly with the venv's python if you have one:

    python compare_hfh.py --mock-hub target/release/mock-hub --hf-extract target/release/hf-extract
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

HFH_JOB = r"""
import sys, time
from concurrent.futures import ThreadPoolExecutor
from huggingface_hub import HfApi, ModelCard

n, workers = int(sys.argv[1]), int(sys.argv[2])
api = HfApi()
started = time.monotonic()
models = list(api.list_models(full=True, sort="last_modified", limit=n))

def one(model):
    card = ModelCard.load(model.id)
    info = api.model_info(model.id)
    return len(card.content), info.sha

with ThreadPoolExecutor(max_workers=workers) as pool:
    done = list(pool.map(one, models))
print(len(done), time.monotonic() - started)
"""


def counts(uri):
    with urllib.request.urlopen(f"{uri}/_mock/requests") as answer:
        return json.load(answer)


def diff(after, before):
    routes = {
        k: v - before["by_route"].get(k, 0)
        for k, v in after["by_route"].items()
        if v - before["by_route"].get(k, 0)
    }
    return after["total"] - before["total"], routes


def clean_env(home):
    """The environment without any token: the mock is not the Hub."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env["HF_HOME"] = home
    env["HF_HUB_DISABLE_TELEMETRY"] = "1"
    env["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    env["HF_HUB_ETAG_TIMEOUT"] = "30"
    env["HF_HUB_DOWNLOAD_TIMEOUT"] = "30"
    return env


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mock-hub", required=True)
    p.add_argument("--hf-extract", required=True)
    p.add_argument("--python", default=sys.executable, help="a python with huggingface_hub")
    p.add_argument("--models", type=int, default=1000)
    p.add_argument("--in-flight", type=int, default=8)
    p.add_argument("--latency-ms", type=int, default=20)
    args = p.parse_args()

    mock = subprocess.Popen(
        [args.mock_hub, "--models", str(args.models), "--latency-ms", str(args.latency_ms)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        uri = mock.stdout.readline().strip()
        if not uri.startswith("http"):
            sys.exit(f"mock-hub did not print its URL (got {uri!r})")
        with tempfile.TemporaryDirectory() as tmp:
            rows = []

            # huggingface_hub
            env = clean_env(os.path.join(tmp, "hf-home"))
            env["HF_ENDPOINT"] = uri
            before = counts(uri)
            started = time.monotonic()
            out = subprocess.run(
                [args.python, "-c", HFH_JOB, str(args.models), str(args.in_flight)],
                env=env, check=True, capture_output=True, text=True,
            ).stdout.split()
            wall = time.monotonic() - started
            requests, routes = diff(counts(uri), before)
            rows.append(("huggingface_hub", int(out[0]), wall, requests, routes))

            # hf-extract: the same job, then the whole pipeline
            for label, select in [
                ("hf-extract", ["--select", "hf_raw_models_latest"]),
                ("hf-extract all", []),
            ]:
                env = clean_env(os.path.join(tmp, "hf-home-2"))
                before = counts(uri)
                started = time.monotonic()
                subprocess.run(
                    [
                        args.hf_extract, "materialize", "--no-progress",
                        "--endpoint", uri, "--arxiv-endpoint", uri, "--arxiv-delay-ms", "0",
                        "--num-models", str(args.models),
                        "--threads", str(args.in_flight),
                        "--enrichment-threads", str(args.in_flight),
                        "--models-file", os.path.join(tmp, "no-model-ids.txt"),
                        "--output-dir", os.path.join(tmp, "out"),
                        *select,
                    ],
                    env=env, check=True, capture_output=True, text=True,
                )
                wall = time.monotonic() - started
                requests, routes = diff(counts(uri), before)
                rows.append((label, args.models, wall, requests, routes))
    finally:
        mock.kill()
        mock.wait()

    print(f"{args.models} models, {args.in_flight} in flight, {args.latency_ms} ms latency")
    print(f"{'tool':<16} {'models':>7} {'wall s':>8} {'requests':>9} {'req/model':>10}  by route")
    for tool, models, wall, requests, routes in rows:
        by_route = ", ".join(f"{k} {v}" for k, v in sorted(routes.items()))
        print(f"{tool:<16} {models:>7} {wall:>8.2f} {requests:>9} {requests / max(models, 1):>10.3f}  {by_route}")
    (_, _, w_h, r_h, _), *ours = rows
    for tool, _, w_x, r_x, _ in ours:
        job = "the same job" if tool == "hf-extract" else "the whole pipeline, enrichment included"
        print(f"{tool} ({job}): {r_h / r_x:.1f}x fewer requests, {w_h / w_x:.1f}x less wall time")


if __name__ == "__main__":
    main()
