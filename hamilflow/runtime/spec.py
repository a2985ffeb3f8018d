"""The pipeline spec: everything a compiled DAG file knows about its pipeline, as plain JSON.

The compiler writes it into the DAG file; the runtime reads it back in each Airflow
task to rebuild the same graph and plan. It names modules by import path, so a DAG file
never pickles code, and it carries the plan's fingerprint so a task can tell when the
code it imports is no longer the code the DAG was compiled from.

    >>> spec = PipelineSpec(dag_id="d", modules=("m",), final_vars=("b",), fingerprint="x")
    >>> PipelineSpec.from_json(spec.to_json()) == spec
    True
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from hamilflow.execution import grouping

GROUPINGS: dict[str, type[grouping.GroupingStrategy]] = {
    "default": grouping.GroupByRepeatableBlocks,
    "individual": grouping.GroupNodesIndividually,
    "all": grouping.GroupNodesAllAsOne,
    "chains": grouping.GroupLinearChains,
}

# Pipeline inputs with these names are filled from the running Airflow task's context.
CONTEXT_INPUTS = (
    "logical_date",
    "ds",
    "ds_nodash",
    "ts",
    "ts_nodash",
    "data_interval_start",
    "data_interval_end",
    "run_id",
    "dag_id",
    "task_id",
    "map_index",
    "try_number",
    "run_after",
)


@dataclass(frozen=True)
class PipelineSpec:
    """How to rebuild a compiled pipeline: modules, config, outputs, grouping, store, fingerprint."""

    dag_id: str
    modules: tuple[str, ...]
    final_vars: tuple[str, ...]
    fingerprint: str
    config: dict[str, Any] = field(default_factory=dict)
    grouping: str = "default"
    store_url: str | None = None
    params: tuple[str, ...] = ()
    context_inputs: tuple[str, ...] = ()

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, default=str)

    @classmethod
    def from_json(cls, text: str) -> PipelineSpec:
        data = json.loads(text)
        for key in ("modules", "final_vars", "params", "context_inputs"):
            data[key] = tuple(data.get(key, ()))
        return cls(**data)

    def grouping_strategy(self) -> grouping.GroupingStrategy:
        try:
            return GROUPINGS[self.grouping]()
        except KeyError:
            raise ValueError(f"unknown grouping '{self.grouping}': choose one of {', '.join(GROUPINGS)}") from None
