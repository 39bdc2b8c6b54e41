"""hf-extract materialised through real Dagster, offline (the binary serves the bundled Hub)."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import dagster as dg
import pytest
from dagster_pipes import decode_param, encode_param

from conftest import StderrFileMessageReader, read_json, stderr_wrapper
from definitions import MERGED, build_definitions, load_graph

STARTED = "2026-11-27T12:00:00.5Z"
GRAPH = load_graph()
LISTING = [a["name"] for a in GRAPH if not a["sharded"]]
PER_MODEL = [a["name"] for a in GRAPH if a["sharded"]]


def definitions(binary, out: Path, shards=1, **kwargs):
    env = {"HF_OUTPUT_DIR": str(out), "HF_RUN_STARTED_AT": STARTED, "HF_NUM_MODELS": "60"}
    return build_definitions(binary=binary, shards=shards, args=["--offline"], env=env, **kwargs)


def materialize(defs, names, instance, partition=None, prefix=(), raise_on_error=True):
    return dg.materialize(
        list(defs.assets),
        selection=[dg.AssetKey([*prefix, n]) for n in names],
        partition_key=partition,
        instance=instance,
        resources=defs.resources,
        raise_on_error=raise_on_error,
    )


def reported(result) -> list[tuple[str, dg.AssetMaterialization]]:
    return [
        (e.asset_key.path[-1], e.step_materialization_data.materialization)
        for e in result.get_asset_materialization_events()
    ]


def sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def check_against_manifest(events, manifest_path: Path, names):
    """Every selected asset once, in dependency order, with run.json's figures."""
    assert [n for n, _ in events] == names
    assert set(Counter(n for n, _ in events).values()) == {1}
    manifest = read_json(manifest_path)
    by_name = {a["name"]: a for a in manifest["assets"]}
    for name, mat in events:
        report = by_name[name]
        meta = {k: v.value for k, v in mat.metadata.items()}
        assert meta["count"] == report["count"], name
        assert meta["failures"] == report["failures"], name
        assert meta["requests"] == report["requests"], name
        assert meta["run_folder"] == str(manifest_path.parent).split("/shards/")[0]
        if report.get("file"):
            assert Path(meta["path"]).name == report["file"]
            assert mat.tags["dagster/data_version"] == report["sha256"] == sha256(meta["path"])


def test_every_asset_in_dependency_order_with_the_manifest_s_figures(binary, instance, tmp_path):
    defs = definitions(binary, tmp_path)
    listing = materialize(defs, LISTING, instance)
    events = reported(listing)
    run = Path(dict(events)["hf_raw_models"].metadata["run_folder"].value)
    check_against_manifest(events, run / "run.json", LISTING)

    shard = materialize(defs, PER_MODEL, instance, partition="00-of-01")
    check_against_manifest(reported(shard), run / "shards/00-of-01/run.json", PER_MODEL)

    merged = materialize(defs, [MERGED], instance)
    [(name, mat)] = reported(merged)
    assert name == MERGED
    assert mat.metadata["run_folder"].value == str(run)
    manifest = read_json(run / "run.json")
    assert [a["name"] for a in manifest["assets"]] == LISTING + PER_MODEL
    for asset in manifest["assets"]:
        if asset.get("file"):
            assert sha256(run / asset["file"]) == asset["sha256"]


def test_one_enriched_asset_from_an_earlier_run_under_a_key_prefix(binary, instance, tmp_path):
    prefix = ["mlentory", "hf"]
    defs = definitions(binary, tmp_path, key_prefix=prefix)
    materialize(defs, LISTING, instance, prefix=prefix)
    materialize(defs, PER_MODEL, instance, partition="00-of-01", prefix=prefix)
    shard_dir = next(tmp_path.glob("*/shards/00-of-01"))
    before = {p.name: p.stat().st_mtime_ns for p in shard_dir.glob("*.json")}

    again = materialize(defs, ["hf_enriched_licenses"], instance, partition="00-of-01", prefix=prefix)
    [(name, mat)] = reported(again)
    assert name == "hf_enriched_licenses"
    assert mat.tags["dagster/data_version"] == sha256(shard_dir / "licenses.json")
    manifest = read_json(shard_dir / "run.json")
    computed = [a["name"] for a in manifest["assets"] if a["loaded_from"] is None]
    assert computed == ["hf_enriched_licenses"]
    after = {p.name: p.stat().st_mtime_ns for p in shard_dir.glob("*.json")}
    changed = sorted(n for n in after if after[n] != before[n])
    assert changed == ["licenses.json", "run.json"]


def test_two_shards_merged_equal_the_unsharded_run(binary, instance, tmp_path):
    defs = definitions(binary, tmp_path / "dagster", shards=2)
    materialize(defs, LISTING, instance)
    for partition in ["00-of-02", "01-of-02"]:
        materialize(defs, PER_MODEL, instance, partition=partition)
    materialize(defs, [MERGED], instance)
    [sharded] = (tmp_path / "dagster").iterdir()

    single = tmp_path / "single"
    subprocess.run(
        [binary, "materialize", "--offline", "--no-progress", "--output-dir", str(single),
         "--started-at", STARTED, "--num-models", "60"],
        check=True,
        capture_output=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("DAGSTER_PIPES")},
    )
    [unsharded] = single.iterdir()
    files = sorted(p.name for p in unsharded.glob("*.json") if p.name != "run.json")
    assert len(files) == 24
    for name in files:
        assert (sharded / name).read_bytes() == (unsharded / name).read_bytes(), name
    # Each shard computed its own models (a parent two shards' models share is read by both).
    maps = [read_json(sharded / f"shards/{k}/hf_identified_licenses.json") for k in ["00-of-02", "01-of-02"]]
    assert all(maps)
    assert set(maps[0]) | set(maps[1]) == set(read_json(sharded / "hf_identified_licenses.json"))
    runs = set(m["modelId"] for m in read_json(sharded / "hf_models.json"))
    assert not (set(maps[0]) & set(maps[1]) & runs), "a model of the run is in one shard only"


def test_the_stderr_channel_with_an_inline_context(binary, instance, tmp_path):
    script, stderr, context = stderr_wrapper(tmp_path, binary)
    reader = StderrFileMessageReader(stderr)
    client = dg.PipesSubprocessClient(
        context_injector=dg.PipesEnvContextInjector(), message_reader=reader
    )
    defs = definitions(script, tmp_path / "out", pipes_client=client)
    result = materialize(defs, LISTING, instance)
    check_against_manifest(
        reported(result),
        Path(dict(reported(result))["hf_raw_models"].metadata["run_folder"].value) / "run.json",
        LISTING,
    )
    assert "data" in decode_param(context.read_text()), "the context came inline"
    # Messages and ordinary log lines shared stderr; the reader kept them apart.
    assert any("run started" in line for line in reader.other_lines), reader.other_lines[:5]
    logs = [
        e.message
        for e in instance.all_logs(result.run_id)
        if e.user_message and "asset materialised" in e.user_message
    ]
    assert logs, "tracing logs forwarded through Pipes `log`"


def test_a_failing_run_is_closed_with_an_exception(binary, instance, tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    defs = definitions(binary, not_a_folder / "out")
    result = materialize(defs, LISTING, instance, raise_on_error=False)
    assert not result.success
    events = [e.dagster_event for e in instance.all_logs(result.run_id) if e.dagster_event]
    closed = [
        e
        for e in events
        if e.event_type_value == "ENGINE_EVENT" and "closed with exception" in (e.message or "")
    ]
    assert len(closed) == 1
    error = closed[0].event_specific_data.error
    assert error.cls_name == "HfExtractError"
    assert str(not_a_folder / "out") in error.message
    assert reported(result) == []


def test_sigint_closes_with_an_exception(binary, tmp_path):
    # A Hub that accepts connections and never answers keeps the run waiting.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)
    messages = tmp_path / "messages"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HF_")},
        "DAGSTER_PIPES_CONTEXT": encode_param({"data": {"asset_keys": LISTING, "extras": {}}}),
        "DAGSTER_PIPES_MESSAGES": encode_param({"path": str(messages)}),
        "HF_OUTPUT_DIR": str(tmp_path / "out"),
        "HF_ENDPOINT": f"http://127.0.0.1:{silent.getsockname()[1]}",
        "HF_MODELS_FILE_PATH": str(tmp_path / "none.txt"),
    }
    process = subprocess.Popen(
        [binary, "materialize", "--no-progress"], env=env, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.time() + 30
        while time.time() < deadline and not (messages.exists() and messages.read_text()):
            time.sleep(0.05)
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 130
    finally:
        process.kill()
        silent.close()
    parsed = [json.loads(line) for line in messages.read_text().splitlines()]
    methods = [m["method"] for m in parsed]
    assert methods[0] == "opened" and methods[-1] == "closed" and methods.count("closed") == 1
    assert "report_asset_materialization" not in methods
    exception = parsed[-1]["params"]["exception"]
    assert exception["name"] == "Interrupted" and "SIGINT" in exception["message"]
    assert set(exception) == {"message", "stack", "name", "cause", "context"}


def test_an_unusable_context_fails_loudly(binary, tmp_path):
    env = {**os.environ, "DAGSTER_PIPES_CONTEXT": "not base64!", "DAGSTER_PIPES_MESSAGES": "x"}
    done = subprocess.run(
        [binary, "materialize", "--offline", "--no-progress", "--output-dir", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "DAGSTER_PIPES_CONTEXT" in done.stderr
    assert list(tmp_path.iterdir()) == []
