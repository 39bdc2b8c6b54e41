"""The hand-off to the Python extractor's downstream: our assets as the values its assets take.

The assets of ``hf-extract`` are materialised through Pipes with ``implicit_materializations=False``:
Dagster stores no output value, only each materialisation's metadata (``run_folder``, ``path``, ...).
:class:`RunFolderIOManager` loads an asset, when a downstream asset takes it as an input, from the
files of the run folder its latest materialisation names, into exactly the in-memory values of the
Python extractor (``MLENTORY-CONTRACT.md``, "Identified maps"):

==================================  ===================================================================================  ===============================================
asset                               value                                                                                annotation downstream
==================================  ===================================================================================  ===============================================
``hf_identified_<kind>``            ``({model_id: [id, ...]}, run_folder)``                                              ``Tuple[Dict[str, List[str]], str]``
``hf_detected_readme_languages``    ``({model_id: [{"code", "confidence"}]}, run_folder)``                               ``Tuple[Dict[str, List[Dict[str, Any]]], str]``
``hf_identified_modelcard_chunks``  ``({model_id: [chunk, ...]}, run_folder)``                                           ``Tuple[Dict[str, List[dict]], str]``
``hf_add_ancestor_models``          ``(path of hf_models_with_ancestors.json, run_folder)``                              ``Tuple[str, str]``
``hf_run_folder``                   the run folder                                                                       ``str``
any other asset                     the path of its file (``hf_enriched_<kind>``, ``hf_identified_chunk_citation`` ...)  ``str``
==================================  ===================================================================================  ===============================================

Our maps hold ``{model_id: [{"id", "provenance", "raw", ...}]}``: each entry is reduced to its
``id`` string, in order. Per-model assets are sharded: their values are those of the run folder's
own files, which ``hf_shards_merged`` writes from all shards, so loading one fails (a
``dagster.Failure`` saying what to run) until the merge of that run folder has run after the
latest shard. Keys are matched on their last component, so a ``key_prefix`` works.

``build_definitions`` sets this IO manager (resource key :data:`IO_MANAGER_KEY`) on every asset of
the binary, so a downstream asset in the same definitions needs no change; one elsewhere binds it
as the ``input_manager_key`` of its ``AssetIn``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import dagster as dg

#: The resource key under which ``build_definitions`` binds :class:`RunFolderIOManager`.
IO_MANAGER_KEY = "hf_run_folder_io_manager"
#: The asset whose value is the run folder itself (it has no file).
RUN_FOLDER = "hf_run_folder"
#: The asset whose value is ``(models_json_path, run_folder)``.
MODELS = "hf_add_ancestor_models"
#: The asset whose value is ``({model_id: [{"code", "confidence"}]}, run_folder)``.
README_LANGUAGES = "hf_detected_readme_languages"
#: The prefix of the assets whose value is ``({model_id: [id, ...]}, run_folder)``...
IDENTIFIED = "hf_identified_"
#: ... but for the citation chunks, whose value is the path of their file,
CITATION_CHUNKS = "hf_identified_chunk_citation"
#: and the card chunks, whose value is ``({model_id: [chunk, ...]}, run_folder)``, chunks whole.
MODELCARD_CHUNKS = "hf_identified_modelcard_chunks"


class RunFolderIOManager(dg.ConfigurableIOManager):
    """Loads our Pipes-materialised assets from their run folder (module docstring).

    ``files`` maps each asset name to its file in the run folder (``None``: no file), ``sharded``
    lists the per-model assets, ``merged`` names the asset that merges their shards. Build it from
    the binary's graph with :meth:`from_graph`. It stores nothing: our assets report
    ``MaterializeResult`` s, which carry no value.
    """

    files: dict[str, Optional[str]]
    sharded: list[str]
    merged: str = "hf_shards_merged"

    @classmethod
    def from_graph(cls, graph: list[dict], merged: str = "hf_shards_merged") -> "RunFolderIOManager":
        """The IO manager of ``graph`` (``load_graph()``: ``[{"name", "file", "sharded", ...}]``)."""
        return cls(
            files={a["name"]: a["file"] for a in graph},
            sharded=[a["name"] for a in graph if a["sharded"]],
            merged=merged,
        )

    def handle_output(self, context: dg.OutputContext, obj: Any) -> None:
        if obj is not None:
            raise dg.Failure(
                f"{context.asset_key.to_user_string()}: {IO_MANAGER_KEY} only loads the files of "
                "hf-extract's run folders; it stores no values"
            )

    def load_input(self, context: dg.InputContext) -> Any:
        key = context.asset_key
        name = key.path[-1]
        if name not in self.files:
            raise dg.Failure(
                f"{key.to_user_string()} is not an asset of hf-extract: {IO_MANAGER_KEY} cannot load it"
            )
        folder = self._run_folder(context.instance, key, name)
        if name == RUN_FOLDER:
            return str(folder)
        path = folder / str(self.files[name])
        if not path.is_file():
            raise dg.Failure(f"{key.to_user_string()}: {path} is missing")
        if name == MODELS:
            return (str(path), str(folder))
        if name == README_LANGUAGES:
            return (reduce_map(path, language_entry), str(folder))
        if name == MODELCARD_CHUNKS:
            return (read_map(path), str(folder))
        if name.startswith(IDENTIFIED) and name != CITATION_CHUNKS:
            return (reduce_map(path, id_entry), str(folder))
        return str(path)

    def _run_folder(self, instance: dg.DagsterInstance, key: dg.AssetKey, name: str) -> Path:
        """The run folder of ``key``'s latest materialisation; for a per-model asset, checked to
        be merged since (its own files are the shards' merge)."""
        event, folder = latest_run_folder(instance, key)
        if name in self.sharded:
            merged_key = dg.AssetKey([*key.path[:-1], self.merged])
            merge = instance.get_latest_materialization_event(merged_key)
            merged_folder = None
            if merge is not None and merge.asset_materialization is not None:
                merged_folder = merge.asset_materialization.metadata.get("run_folder")
            if merged_folder is None or str(merged_folder.value) != folder:
                raise dg.Failure(
                    f"{key.to_user_string()}: the shards of {folder} were not merged: "
                    f"materialise {merged_key.to_user_string()} after all partitions"
                )
            if merge.timestamp < event.timestamp:
                raise dg.Failure(
                    f"{key.to_user_string()}: a shard of {folder} was materialised after the last merge: "
                    f"materialise {merged_key.to_user_string()} again"
                )
        return Path(folder)


def latest_run_folder(
    instance: dg.DagsterInstance, key: dg.AssetKey, hint: str = ""
) -> tuple[dg.EventLogEntry, str]:
    """``key``'s latest materialisation and the run folder its ``run_folder`` metadata names;
    a ``dagster.Failure`` (with ``hint`` added) when there is none."""
    event = instance.get_latest_materialization_event(key)
    if event is None or event.asset_materialization is None:
        raise dg.Failure(f"{key.to_user_string()} was never materialised{hint}")
    folder = event.asset_materialization.metadata.get("run_folder")
    if folder is None:
        raise dg.Failure(
            f"{key.to_user_string()}: its latest materialisation has no run_folder metadata"
        )
    return event, str(folder.value)


def read_map(path: Path) -> dict[str, list]:
    """A ``{model_id: [entry, ...]}`` file; a ``dagster.Failure`` naming the file if it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise dg.Failure(f"{path}: not readable as JSON: {error}") from error
    if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
        raise dg.Failure(f"{path}: not a {{model_id: [...]}} map")
    return data


def reduce_map(path: Path, entry) -> dict[str, list]:
    """The map in ``path`` with each entry reduced by ``entry(entry) -> value`` (order kept); an
    entry it rejects (``None``) fails naming the file and the model id."""
    reduced = {}
    for model_id, entries in read_map(path).items():
        values = [entry(e) for e in entries]
        if any(v is None for v in values):
            raise dg.Failure(f"{path}: model {model_id}: an entry of an unexpected shape: {entries}")
        reduced[model_id] = values
    return reduced


def id_entry(entry: Any) -> Optional[str]:
    """An identified entity ``{"id": ..., ...}`` as its id string (a plain string is kept)."""
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict) and isinstance(entry.get("id"), str):
        return entry["id"]
    return None


def language_entry(entry: Any) -> Optional[dict]:
    """A detected README language as exactly ``{"code": str, "confidence": float}``."""
    if not isinstance(entry, dict) or not isinstance(entry.get("code"), str):
        return None
    confidence = entry.get("confidence")
    if not isinstance(confidence, (int, float)) or isinstance(confidence, bool):
        return None
    return {"code": entry["code"], "confidence": float(confidence)}
