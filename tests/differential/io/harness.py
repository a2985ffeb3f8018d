"""Runs an I/O pipeline on Apache Hamilton and on hamilflow, and says what each returned and wrote.

It builds on the corpus harness (``tests/differential/harness.py``: fresh imports, value
comparison). A run gets its own folder; the pipeline writes its input files there
(``_prepare``) and its savers write there. An ``Outcome`` holds the values a run returned, the
metadata ``Driver.materialize`` returned, and the bytes of every file in the folder.

What differs between two honest runs is normalised, and only that: the folder itself (each
run writes under its own, so its path is replaced by ``<folder>`` in every string) and the
times a saver records (``last_modified`` and ``timestamp`` become ``<time>`` after checking
they are numbers). Everything else — sizes, row counts, column names, dtypes, a custom saver's
own metadata, the files' bytes — must be equal.

One exception, for runs whose values cross a process boundary: a pandas extension array
(nullable ``Float64``, Arrow strings) that has been unpickled once carries its ``_readonly`` and
``_cache`` attributes into the next pickle, so a pickle file written by a worker can be a few
bytes longer than the same frame pickled in the process that made it. For those runs a ``.pkl``
file is compared by its unpickled content, and its recorded size is left out; every other file
is still compared byte for byte.
"""

from __future__ import annotations

import dataclasses
import pickle
import types
from pathlib import Path
from typing import Any

from tests.differential import harness

IO_PIPELINES = "tests.differential.io.pipelines"
_TIMES = ("last_modified", "timestamp")


@dataclasses.dataclass
class Outcome:
    values: dict[str, Any]
    metadata: dict[str, Any] | None
    files: dict[str, bytes]


def normalised(value: Any, folder: Path) -> Any:
    """``value`` with the run's folder replaced by ``<folder>`` and saver times by ``<time>``."""
    if isinstance(value, str):
        return value.replace(str(folder), "<folder>")
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in _TIMES:
                assert isinstance(item, (int, float)), f"{key} is {item!r}, not a time"
                out[key] = "<time>"
            else:
                out[key] = normalised(item, folder)
        return out
    if isinstance(value, (list, tuple)):
        return type(value)(normalised(v, folder) for v in value)
    return value


def files_in(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder``, by its path relative to it."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def builder_for(driver_module: Any, module: types.ModuleType, folder: Path) -> Any:
    """A Builder with the module, its config and its ``_builder_materializers``, as a user writes one."""
    builder = driver_module.Builder().with_modules(module).with_config(dict(getattr(module, "CONFIG", {})))
    if hasattr(module, "_builder_materializers"):
        builder = builder.with_materializers(*module._builder_materializers(folder))
    return builder


def run(builder: Any, module: types.ModuleType, folder: Path, without_inputs: bool = False) -> Outcome:
    """Build, run (``materialize`` when the module has materializers, else ``execute``), and look at the folder."""
    inputs = module._prepare(folder) if hasattr(module, "_prepare") else {}
    if without_inputs:  # the files the pipeline reads are gone: a failing run, to compare with Hamilton's
        for prepared in files_in(folder):
            (folder / prepared).unlink()
    before = set(files_in(folder))
    dr = builder.build()
    outputs = list(getattr(module, "OUTPUTS", []))
    metadata = None
    if hasattr(module, "_materializers"):
        metadata, values = dr.materialize(*module._materializers(folder), additional_vars=outputs, inputs=inputs)
    else:
        values = dr.execute(outputs, inputs=inputs)
    written = {name: data for name, data in files_in(folder).items() if name not in before}
    return Outcome(normalised(values, folder), normalised(metadata, folder), written)


def on_hamilton(name: str, folder: Path, without_inputs: bool = False) -> Outcome:
    """The reference: Apache Hamilton's Driver (dynamic execution, synchronously, when the module has a block)."""
    from hamilton import driver
    from hamilton.execution import executors

    module = harness.fresh_module(IO_PIPELINES, name)
    folder.mkdir(parents=True, exist_ok=True)
    builder = builder_for(driver, module, folder)
    if harness.is_dynamic(module):
        builder = builder.enable_dynamic_execution(allow_experimental_mode=True).with_remote_executor(
            executors.SynchronousLocalTaskExecutor()
        )
    return run(builder, module, folder, without_inputs)


def on_hamilflow(
    name: str, folder: Path, executor: Any = None, everywhere: bool = False, without_inputs: bool = False
) -> Outcome:
    """hamilflow's Driver; with ``executor``, blocks run there, and with ``everywhere`` every node is a task there."""
    from hamilflow import driver
    from hamilflow.execution import grouping

    module = harness.fresh_module(IO_PIPELINES, name)
    folder.mkdir(parents=True, exist_ok=True)
    builder = builder_for(driver, module, folder)
    if executor is not None:
        builder = builder.enable_dynamic_execution(allow_experimental_mode=True).with_remote_executor(executor)
        if everywhere:
            builder = builder.with_local_executor(executor).with_grouping_strategy(grouping.GroupNodesIndividually())
    return run(builder, module, folder, without_inputs)


def _without_pickle_sizes(metadata: Any) -> Any:
    """The metadata with the ``size`` of each pickle file left out (see the module docstring)."""
    if isinstance(metadata, dict):
        if str(metadata.get("path", "")).endswith(".pkl"):
            return {k: v for k, v in metadata.items() if k != "size"}
        return {k: _without_pickle_sizes(v) for k, v in metadata.items()}
    return metadata


def assert_same_outcome(expected: Outcome, actual: Outcome, module_name: str, crossed_processes: bool = False) -> None:
    """Same values, same metadata, same files with the same bytes; and the files the module says it writes.

    With ``crossed_processes``, pickle files are compared by content (see the module docstring).
    """
    harness.assert_same_results(expected.values, actual.values)
    got, want = actual.metadata, expected.metadata
    if crossed_processes:
        got, want = _without_pickle_sizes(got), _without_pickle_sizes(want)
    assert got == want, f"materialize metadata: {got} != {want}"
    assert sorted(actual.files) == sorted(expected.files), "not the files Hamilton writes"
    for name, data in expected.files.items():
        if crossed_processes and name.endswith(".pkl"):
            harness.assert_same_value(pickle.loads(data), pickle.loads(actual.files[name]), name)
        else:
            assert actual.files[name] == data, f"{name}: other bytes than Hamilton's"
    module = harness.fresh_module(IO_PIPELINES, module_name)
    assert sorted(expected.files) == sorted(module.WRITES), f"Hamilton wrote {sorted(expected.files)}"
