"""Fixtures: the hf-extract binary, a throw-away Dagster instance, and a stderr message reader."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.pipes.utils import extract_message_or_forward_to_file, tail_file

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "dagster"))


@pytest.fixture(scope="session")
def binary() -> str:
    """The binary under test: ``HF_EXTRACT_BIN``, else the workspace's debug build."""
    default = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target")) / "debug" / "hf-extract"
    path = Path(os.environ.get("HF_EXTRACT_BIN", default))
    if not path.is_file():
        pytest.fail(f"{path} is missing: cargo build -p hf-extract --bin hf-extract")
    return str(path)


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


class StderrFileMessageReader(dg.PipesMessageReader):
    """The Kubernetes shape without a cluster: the process writes its messages to stderr
    (``{"stdio": "stderr"}``), mixed with its log lines; a wrapper sends its stderr to ``path``,
    which this reader tails, keeping the lines that are messages (as ``PipesK8sClient`` does with
    the pod's logs)."""

    def __init__(self, path: Path):
        self.path = path
        self.other_lines: list[str] = []

    @contextmanager
    def read_messages(self, handler) -> Iterator[dict]:
        self.path.write_text("")
        done = threading.Event()

        class Collect:
            def __init__(self, lines):
                self.lines = lines

            def writelines(self, parts):
                self.lines.append("".join(parts).rstrip("\n"))

        def read():
            for line in tail_file(str(self.path), done.is_set):
                extract_message_or_forward_to_file(handler, line, Collect(self.other_lines))

        thread = threading.Thread(target=read, daemon=True)
        thread.start()
        try:
            yield {"stdio": "stderr"}
        finally:
            done.set()
            thread.join()

    def no_messages_debug_text(self) -> str:
        return f"Attempted to read messages from the stderr copy {self.path}."


def stderr_wrapper(tmp: Path, binary: str) -> tuple[str, Path, Path]:
    """A script running ``binary`` with its stderr appended to a file, which also keeps the
    DAGSTER_PIPES_CONTEXT it was given; returns (script, stderr file, context file)."""
    stderr = tmp / "stderr.log"
    context = tmp / "context.env"
    script = tmp / "hf-extract-stderr"
    script.write_text(
        "#!/bin/sh\n"
        f'printf %s "$DAGSTER_PIPES_CONTEXT" > "{context}"\n'
        f'exec "{binary}" "$@" 2>>"{stderr}"\n'
    )
    script.chmod(0o755)
    return str(script), stderr, context


def read_json(path: Path):
    return json.loads(Path(path).read_text())
