"""The hand-off: stand-in downstream assets, with the Python extractor's annotations, loading our
assets (listing, two shards, merge; under a key prefix) through ``hf_run_folder_io_manager``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Tuple

import dagster as dg
import pytest

from conftest import read_json
from definitions import MERGED, build_definitions, load_graph
from downstream_io import RunFolderIOManager
from test_definitions import LISTING, PER_MODEL, STARTED

PREFIX = ["mlentory", "hf"]
GRAPH = {a["name"]: a for a in load_graph()}
KINDS = ["datasets", "articles", "base_models", "keywords", "licenses", "languages", "tasks", "sharedby"]
IdentifiedMap = Tuple[Dict[str, List[str]], str]
LanguagesMap = Tuple[Dict[str, List[Dict[str, Any]]], str]

#: What each stand-in received, by the name of the asset it took.
RECEIVED: dict[str, Any] = {}


def stand_in(upstream: str, annotation) -> dg.AssetsDefinition:
    """A downstream asset taking ``upstream`` (under ``PREFIX``) with the annotation the Python
    extractor's asset gives it; Dagster type-checks the value against it."""

    def compute(value):
        RECEIVED[upstream] = value

    compute.__annotations__ = {"value": annotation, "return": None}
    return dg.asset(
        name=f"downstream_of_{upstream}",
        key_prefix=["downstream"],
        ins={"value": dg.AssetIn(key=dg.AssetKey([*PREFIX, upstream]))},
    )(compute)


STAND_INS = [
    *[stand_in(f"hf_identified_{k}", IdentifiedMap) for k in KINDS],
    stand_in("hf_detected_readme_languages", LanguagesMap),
    stand_in("hf_identified_modelcard_chunks", Tuple[Dict[str, List[dict]], str]),
    stand_in("hf_add_ancestor_models", Tuple[str, str]),
    *[stand_in(f"hf_enriched_{k}", str) for k in KINDS],
    *[stand_in(name, str) for name in ["hf_identified_chunk_citation", "hf_raw_catalog_sources", "hf_raw_models", "hf_run_folder"]],
]


def materialize(defs, keys, instance, partition=None, raise_on_error=True):
    return dg.materialize(
        [*defs.assets, *STAND_INS],
        selection=keys,
        partition_key=partition,
        instance=instance,
        resources=defs.resources,
        raise_on_error=raise_on_error,
    )


def ours(*names):
    return [dg.AssetKey([*PREFIX, n]) for n in names]


def downstream(*upstreams):
    return [dg.AssetKey(["downstream", f"downstream_of_{u}"]) for u in upstreams]


def failure_of(result) -> str:
    [failed] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    return failed.event_specific_data.error.message


@pytest.fixture(scope="module")
def handed_off(binary, tmp_path_factory):
    """One run through Dagster (listing, two shards), the downstream tried before the merge, then
    merged; yields (defs, instance, run folder, the result before the merge)."""
    out = tmp_path_factory.mktemp("handoff")
    env = {"HF_OUTPUT_DIR": str(out), "HF_RUN_STARTED_AT": STARTED, "HF_NUM_MODELS": "60"}
    defs = build_definitions(binary=binary, shards=2, args=["--offline"], env=env, key_prefix=PREFIX)
    with dg.instance_for_test() as instance:
        materialize(defs, ours(*LISTING), instance)
        for partition in ["00-of-02", "01-of-02"]:
            materialize(defs, ours(*PER_MODEL), instance, partition=partition)
        unmerged = materialize(
            defs, downstream("hf_identified_datasets"), instance, raise_on_error=False
        )
        materialize(defs, ours(MERGED), instance)
        [run] = out.iterdir()
        yield defs, instance, run, unmerged


def test_the_downstream_takes_the_merged_run_folder_s_values(handed_off):
    defs, instance, run, _ = handed_off
    RECEIVED.clear()
    upstreams = [
        *[f"hf_identified_{k}" for k in KINDS],
        "hf_detected_readme_languages",
        "hf_identified_modelcard_chunks",
        "hf_add_ancestor_models",
        *[f"hf_enriched_{k}" for k in KINDS],
        "hf_identified_chunk_citation",
        "hf_raw_catalog_sources",
        "hf_raw_models",
        "hf_run_folder",
    ]
    assert materialize(defs, downstream(*upstreams), instance).success
    assert sorted(RECEIVED) == sorted(upstreams)
    models = {m["modelId"] for m in read_json(run / "hf_models.json")}

    for kind in KINDS:
        value = RECEIVED[f"hf_identified_{kind}"]
        assert isinstance(value, tuple) and value[1] == str(run)
        ids, ours_file = value[0], read_json(run / f"hf_identified_{kind}.json")
        # Every model of the run (all shards), each entry reduced to its id, order kept.
        assert set(ids) == set(ours_file) >= models, kind
        assert ids == {m: [e["id"] for e in entries] for m, entries in ours_file.items()}, kind
        assert all(type(i) is str for v in ids.values() for i in v), kind
        assert any(ids.values()), f"{kind}: no model has one, nothing was compared"

    languages, folder = RECEIVED["hf_detected_readme_languages"]
    assert folder == str(run)
    detected = read_json(run / "readme_languages.json")
    assert languages == {
        m: [{"code": e["code"], "confidence": e["confidence"]} for e in entries]
        for m, entries in detected.items()
    }
    assert any(languages.values())
    assert all(set(e) == {"code", "confidence"} for v in languages.values() for e in v)

    chunks, folder = RECEIVED["hf_identified_modelcard_chunks"]
    assert (chunks, folder) == (read_json(run / "hf_modelcard_chunks.json"), str(run))
    assert any(chunks.values()) and set(chunks) >= models
    # What the LLM step reads of each chunk.
    assert all({"type", "phtext", "text"} <= set(c) for v in chunks.values() for c in v)

    models_path, folder = RECEIVED["hf_add_ancestor_models"]
    assert (Path(models_path), folder) == (run / "hf_models_with_ancestors.json", str(run))
    assert Path(models_path).is_file()

    for name in [*[f"hf_enriched_{k}" for k in KINDS], "hf_raw_catalog_sources", "hf_raw_models"]:
        path = RECEIVED[name]
        assert path == str(run / GRAPH[name]["file"])
        assert isinstance(json.loads(Path(path).read_text()), list), name
    assert RECEIVED["hf_identified_chunk_citation"] == str(run / "chunks_citation.json")
    assert isinstance(read_json(run / "chunks_citation.json"), dict)
    assert RECEIVED["hf_run_folder"] == str(run)


def test_before_the_merge_the_downstream_fails_saying_so(handed_off):
    *_, unmerged = handed_off
    assert not unmerged.success
    message = failure_of(unmerged)
    assert "were not merged" in message and f"materialise {'/'.join(PREFIX)}/{MERGED}" in message


def test_a_missing_file_fails_naming_it(handed_off):
    defs, instance, run, _ = handed_off
    path = run / "licenses.json"
    moved = run / "licenses.json.moved"
    path.rename(moved)
    try:
        result = materialize(
            defs, downstream("hf_enriched_licenses"), instance, raise_on_error=False
        )
    finally:
        moved.rename(path)
    assert not result.success
    assert f"{path} is missing" in failure_of(result)


def test_a_wrong_annotation_is_refused_by_dagster_s_type_check(handed_off):
    # The type check is real: the same map under a narrower annotation fails.
    defs, instance, *_ = handed_off
    wrong = stand_in("hf_identified_licenses", Tuple[Dict[str, List[int]], str])
    result = dg.materialize(
        [*defs.assets, wrong],
        selection=[wrong.key],
        instance=instance,
        resources=defs.resources,
        raise_on_error=False,
    )
    assert not result.success
    message = failure_of(result)
    assert message.startswith("dagster._core.errors.DagsterTypeCheckDidNotPass"), message
    assert 'step input "value"' in message and "must be a int" in message


def test_a_shard_materialised_after_the_merge_fails_until_merged_again(handed_off):
    defs, instance, run, _ = handed_off
    materialize(defs, ours("hf_identified_tasks"), instance, partition="01-of-02")
    stale = materialize(defs, downstream("hf_identified_tasks"), instance, raise_on_error=False)
    assert not stale.success
    assert "materialised after the last merge" in failure_of(stale)

    materialize(defs, ours(MERGED), instance)
    RECEIVED.clear()
    assert materialize(defs, downstream("hf_identified_tasks"), instance).success
    assert RECEIVED["hf_identified_tasks"][1] == str(run)


def test_a_downstream_elsewhere_binds_it_as_its_input_manager(handed_off):
    # Definitions without our assets: the upstream is an external AssetSpec, the input manager
    # loads it.
    _, instance, run, _ = handed_off
    external = dg.AssetSpec([*PREFIX, "hf_identified_keywords"])

    ids = dg.AssetIn(key=external.key, input_manager_key="hf_inputs")

    @dg.asset(ins={"ids": ids})
    def elsewhere(ids: IdentifiedMap) -> None:
        RECEIVED["elsewhere"] = ids

    resources = {"hf_inputs": RunFolderIOManager.from_graph(load_graph(), merged=MERGED)}
    assert dg.materialize([external, elsewhere], instance=instance, resources=resources).success
    keywords = read_json(run / "hf_identified_keywords.json")
    assert RECEIVED["elsewhere"] == ({m: [e["id"] for e in v] for m, v in keywords.items()}, str(run))


#: The keys the MLentory transformer's assets bind from the extraction (its contract, "Asset
#: keys, groups and tags under Dagster").
CONTRACT_KEYS = [
    "hf_add_ancestor_models",
    *[f"hf_identified_{k}" for k in KINDS],
    *[f"hf_enriched_{k}" for k in KINDS if k != "base_models"],
    "hf_detected_readme_languages",
    "hf_identified_chunk_citation",
    "hf_identified_modelcard_chunks",
    "hf_raw_catalog_sources",
]


def test_the_downstream_s_keys_groups_and_tags_select_our_assets(handed_off):
    defs, instance, _, _ = handed_off
    # Stand-ins declaring exactly the transformer's AssetIn keys load in one Definitions with ours
    # and materialise from our run folder.
    RECEIVED.clear()
    assert materialize(defs, downstream(*CONTRACT_KEYS), instance).success
    assert sorted(RECEIVED) == sorted(CONTRACT_KEYS)

    together = dg.Definitions(assets=[*defs.assets, *STAND_INS], resources=defs.resources)
    graph = together.get_repository_def().asset_graph
    ours_all = {*ours(*GRAPH), *ours(MERGED)}
    # The Makefile's selection by tags picks our extraction assets and nothing else.
    by_tags = dg.AssetSelection.tag("pipeline", "hf_etl") & dg.AssetSelection.tag("stage", "extract")
    assert by_tags.resolve(graph) == ours_all
    # The groups: `hf` for the run folder, the catalog source and the raw models.
    listing = {"hf_run_folder", "hf_raw_models_latest", "hf_raw_models_from_file", "hf_raw_models",
               "hf_raw_catalog_sources"}
    assert dg.AssetSelection.groups("hf").resolve(graph) == set(ours(*listing))
    assert dg.AssetSelection.groups("hf_enrichment").resolve(graph) == ours_all - set(ours(*listing))
