"""hf-extract as Dagster assets, through Dagster Pipes.

The asset graph is read from ``assets.json`` (``hf-extract list-assets --json``; a Rust test fails
when the two disagree), so new assets of the binary show up here by regenerating that file.

- ``hf_listing``: one ``@multi_asset`` for the unsharded stages (``hf_run_folder``,
  ``hf_raw_models_latest``, ``hf_raw_models_from_file``, ``hf_raw_models``). It creates the run
  folder and reports its path as ``run_folder`` metadata.
- ``hf_per_model``: one ``@multi_asset`` for the per-model stages (``hf_add_ancestor_models``,
  ``hf_identified_*``, ``hf_enriched_*``), partitioned by shard (``00-of-04`` ...). Each partition
  runs ``hf-extract materialize`` on its share of the models of the latest run folder, into
  ``<run folder>/shards/<partition>/``.
- ``hf_shards_merged``: ``hf-extract merge-shards <run folder>`` writes the run folder's own files,
  equal byte for byte to an unsharded run's.

Every asset of the binary is loaded, as the input of a downstream asset, by the IO manager
``hf_run_folder_io_manager`` (``downstream_io.py``): the values the Python extractor's downstream
takes, from the merged run folder.

Both multi-assets run in the concurrency pool ``hf_hub``: give it a limit (``dagster instance
concurrency set hf_hub 2``) so shards do not multiply the Hub's rate limit.

Environment: ``HF_EXTRACT_BIN`` (the binary, default ``hf-extract``), ``HF_DAGSTER_SHARDS`` (default
4), ``HF_EXTRACT_ARGS`` (extra flags of every ``materialize``, e.g. ``--offline``), and the
binary's own ``HF_*`` variables (``HF_OUTPUT_DIR``, ``HF_TOKEN``, ...), passed through.
"""


import json
import os
import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import dagster as dg

HERE = Path(__file__).resolve().parent
# `dagster ... -f dagster/definitions.py` resolves imports from the working directory, not this one.
if str(HERE) not in sys.path:
    sys.path.append(str(HERE))

from downstream_io import IO_MANAGER_KEY, RunFolderIOManager, latest_run_folder  # noqa: E402

#: The pool every step that talks to the Hub runs in.
POOL = "hf_hub"
#: The Dagster-only asset that merges the shards.
MERGED = "hf_shards_merged"
#: Its group and tags: those of the assets it merges (``assets.json`` gives every other asset's).
MERGED_GROUP = "hf_enrichment"
MERGED_TAGS = {"pipeline": "hf_etl", "stage": "extract"}


def load_graph(path: Path = HERE / "assets.json") -> list[dict]:
    """The binary's asset graph: ``[{"name", "deps", "file", "sharded", "group", "tags"}]`` in
    dependency order. The groups (``hf``: the run folder, the catalog source and the raw models;
    ``hf_enrichment``: everything after) and the tags (``pipeline: hf_etl``, ``stage: extract``)
    are the Python extractor's, which its downstream selects by."""
    return json.loads(path.read_text())


def shard_keys(count: int) -> list[str]:
    """The partition keys of ``count`` shards: ``00-of-04`` ... (what ``--shard`` accepts)."""
    width = max(2, len(str(count)))
    return [f"{k:0{width}d}-of-{count:0{width}d}" for k in range(count)]


def build_definitions(
    binary: str | None = None,
    shards: int | None = None,
    args: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
    key_prefix: Sequence[str] = (),
    pipes_client: dg.PipesClient | None = None,
    run_kwargs: Mapping[str, object] | None = None,
    graph: list[dict] | None = None,
) -> dg.Definitions:
    """The definitions; every argument defaults to its environment variable (module docstring).

    ``pipes_client`` is the resource ``pipes`` (default: a ``PipesSubprocessClient``; a
    ``PipesK8sClient`` runs each step in a pod), ``run_kwargs`` go to every ``pipes.run`` call
    (e.g. ``{"image": ...}`` for Kubernetes).
    """
    run_kwargs = dict(run_kwargs or {})
    binary = binary or os.environ.get("HF_EXTRACT_BIN", "hf-extract")
    shards = shards or int(os.environ.get("HF_DAGSTER_SHARDS", "4"))
    args = list(args if args is not None else shlex.split(os.environ.get("HF_EXTRACT_ARGS", "")))
    env = dict(env or {})
    graph = graph or load_graph()
    prefix = list(key_prefix)

    def key(name: str) -> dg.AssetKey:
        return dg.AssetKey([*prefix, name])

    partitions = dg.StaticPartitionsDefinition(shard_keys(shards))
    listing_specs = [
        dg.AssetSpec(
            key(a["name"]),
            deps=[key(d) for d in a["deps"]],
            group_name=a["group"],
            tags=a["tags"],
        ).with_io_manager_key(IO_MANAGER_KEY)
        for a in graph
        if not a["sharded"]
    ]
    shard_specs = [
        dg.AssetSpec(
            key(a["name"]),
            deps=[key(d) for d in a["deps"]],
            group_name=a["group"],
            tags=a["tags"],
            partitions_def=partitions,
        ).with_io_manager_key(IO_MANAGER_KEY)
        for a in graph
        if a["sharded"]
    ]
    materialize = [binary, "materialize", "--no-progress", *args]

    def listing_run_folder(context: dg.AssetExecutionContext) -> str:
        """The run folder the latest listing (``hf_raw_models``) created, from its metadata."""
        _, folder = latest_run_folder(
            context.instance, key("hf_raw_models"), ": run the listing first"
        )
        return folder

    @dg.multi_asset(specs=listing_specs, can_subset=True, name="hf_listing", pool=POOL)
    def hf_listing(context: dg.AssetExecutionContext, pipes: dg.PipesSubprocessClient):
        return pipes.run(command=materialize, context=context, env=env, **run_kwargs).get_results(
            implicit_materializations=False
        )

    @dg.multi_asset(
        specs=shard_specs,
        can_subset=True,
        name="hf_per_model",
        partitions_def=partitions,
        pool=POOL,
    )
    def hf_per_model(context: dg.AssetExecutionContext, pipes: dg.PipesSubprocessClient):
        extras = {
            "run_folder": listing_run_folder(context),
            "shard": context.partition_key,
        }
        return pipes.run(
            command=materialize, context=context, env=env, extras=extras, **run_kwargs
        ).get_results(implicit_materializations=False)

    @dg.asset(
        key=key(MERGED),
        deps=[s.key for s in shard_specs],
        group_name=MERGED_GROUP,
        tags=dict(MERGED_TAGS),
        description="The shards merged into the run folder's own files.",
    )
    def hf_shards_merged(context: dg.AssetExecutionContext, pipes: dg.PipesSubprocessClient):
        extras = {"run_folder": listing_run_folder(context)}
        return pipes.run(
            command=[binary, "merge-shards"], context=context, env=env, extras=extras, **run_kwargs
        ).get_materialize_result(implicit_materialization=False)

    return dg.Definitions(
        assets=[hf_listing, hf_per_model, hf_shards_merged],
        resources={
            "pipes": pipes_client or dg.PipesSubprocessClient(),
            IO_MANAGER_KEY: RunFolderIOManager.from_graph(graph, merged=MERGED),
        },
    )


defs = build_definitions()
