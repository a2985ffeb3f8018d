"""The pipeline spec: everything a compiled DAG file's tasks need to rebuild their pipeline, as plain data.

The compiler writes it into the DAG file (the ``SPEC`` constant, beside the options it was
compiled with); the runtime reads it back in each Airflow task to rebuild the same graph
and plan. It names modules by import path, so a DAG file never pickles code, and it
carries the plan's fingerprint so a task can tell when the code it imports is no longer
the code the DAG was compiled from.

    >>> spec = PipelineSpec(dag_id="d", modules=("m",), final_vars=("b",), fingerprint="x")
    >>> PipelineSpec.from_dict(spec.to_dict()) == PipelineSpec.from_json(spec.to_json()) == spec
    True
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from hamilflow.execution import grouping

_TUPLES = ("modules", "final_vars", "params", "context_inputs", "adapters", "materializers")
# absent from older DAG files: their fingerprints stay
_ONLY_WHEN_SET = ("adapters", "materializers", "cache", "function_defaults")


@dataclass(frozen=True)
class PipelineSpec:
    """How to rebuild a compiled pipeline: modules, config, outputs, grouping, store, fingerprint.

    ``params`` name the DAG params the pipeline reads; ``context_inputs`` the inputs read
    from the Airflow task context (see :mod:`hamilflow.runtime.context`). ``chunking`` says,
    per block (by expander), how its items are packed into mapped instances:
    ``items_per_task`` (0: automatic) and the mapped tasks' ``max_active_tis_per_dag``, if
    any (see :func:`hamilflow.runtime.task.chunk_sizes`). ``adapters`` are Hamilton lifecycle
    adapters by import path (``"package.module:name"``: an adapter, or a callable of no argument
    returning one or a list), which each task imports and runs with. ``materializers`` are
    Hamilton ``to.*``/``from_.*`` materializers by import path (a list of them, or a callable of
    no argument returning one), whose nodes join the graph in the compiler and in every task.
    ``function_defaults`` are the params that only optional parameters read, with the functions'
    (one) default: a run that leaves one at that value and does not name it in its conf does not
    pass it, so the function's default applies, as in a Driver not given it.
    """

    dag_id: str
    modules: tuple[str, ...]
    final_vars: tuple[str, ...]
    fingerprint: str
    config: dict[str, Any] = field(default_factory=dict)
    grouping: str = "default"
    store_url: str | None = None
    params: tuple[str, ...] = ()
    context_inputs: tuple[str, ...] = ()
    chunking: dict[str, dict[str, int]] = field(default_factory=dict)
    adapters: tuple[str, ...] = ()
    materializers: tuple[str, ...] = ()
    cache: dict[str, Any] | None = None  # the cache's node behaviours (hamilflow.caching), when results are cached
    function_defaults: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The spec as JSON-like data (lists, dicts, strings), in field order; adapters and materializers only when
        set."""
        return {
            f.name: _plain(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if f.name not in _ONLY_WHEN_SET or getattr(self, f.name)
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PipelineSpec:
        """The spec in ``data``; keys that are not fields of the spec (what else a DAG file keeps) are ignored."""
        values = {f.name: data[f.name] for f in dataclasses.fields(cls) if f.name in data}
        for key in _TUPLES:
            values[key] = tuple(values.get(key, ()))
        return cls(**values)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, default=str)

    @classmethod
    def from_json(cls, text: str) -> PipelineSpec:
        return cls.from_dict(json.loads(text))

    def grouping_strategy(self) -> grouping.GroupingStrategy:
        return grouping.strategy(self.grouping)


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
