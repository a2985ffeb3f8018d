"""What to compile: the pipeline (modules, config, outputs) and the DAG's settings.

A compiled DAG file keeps its options in its ``SPEC`` constant, so that ``hamilflow
compile --check`` and ``--recompile`` can compile it again. The pipeline spec already
states the modules, dag id, config, grouping, store and outputs (the runtime reads them
there); the other options sit beside it under ``"compile_options"``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Mapping

# Options the pipeline spec states under the same name; the DAG file keeps them there only.
IN_PIPELINE_SPEC = ("modules", "dag_id", "config", "grouping", "store_url", "adapters", "materializers", "cache")
COMPILE_OPTIONS_KEY = "compile_options"
# Options a DAG file keeps only when set: files compiled before they existed stay current.
_KEPT_WHEN_SET = (
    "description",
    "max_active_runs",
    "max_active_tasks",
    "dagrun_timeout",
    "default_args",
    "on_failure_callback",
    "on_success_callback",
    "end_date",
    "doc_md",
    "dag_display_name",
    "is_paused_upon_creation",
    "owner_links",
    "max_consecutive_failed_dag_runs",
    "fail_fast",
)


@dataclass
class CompileOptions:
    """Everything ``hamilflow compile`` takes; written into the DAG file so ``--check`` can recompile it.

    >>> CompileOptions(modules=["examples.word_count.pipeline"], dag_id="word_count").output_path
    'airflow_dags/word_count.py'
    """

    modules: list[str]
    dag_id: str
    final_vars: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    schedule: str | None = None
    start_date: str = "2024-01-01"
    catchup: bool = False
    retries: int | None = None  # None: the deployment's default_task_retries applies
    grouping: str = "default"
    store_url: str | None = None
    items_per_task: int | str | None = None  # None or "auto": packed automatically; see runtime.task.chunk_sizes
    tags: list[str] = field(default_factory=lambda: ["hamilflow"])
    output: str | None = None
    # DAG-level Airflow settings (see hamilflow.project_config for the project file that sets them)
    description: str | None = None
    max_active_runs: int | None = None
    max_active_tasks: int | None = None
    dagrun_timeout: str | int | None = None  # a duration: 3600, "90m", "2h"
    default_args: dict[str, Any] = field(default_factory=dict)  # task-level defaults: owner, retry_delay, ...
    on_failure_callback: str | None = None  # "package.module:function", imported when Airflow calls it
    on_success_callback: str | None = None
    end_date: str | None = None  # YYYY-MM-DD: the DAG runs no interval after it
    doc_md: str | None = None  # the DAG's own documentation, shown before what hamilflow writes
    dag_display_name: str | None = None
    is_paused_upon_creation: bool | None = None  # None: the deployment's dags_are_paused_at_creation
    owner_links: dict[str, str] | None = None  # owner -> "https://..." or "mailto:..."
    max_consecutive_failed_dag_runs: int | None = None  # None: the deployment's default
    fail_fast: bool | None = None
    adapters: list[str] = field(default_factory=list)  # "package.module:adapter_or_factory", for the runtime
    materializers: list[str] = field(default_factory=list)  # "package.module:to_and_from_list", savers as tasks
    # the result cache (hamilflow.caching), in the artifact store: True, or {recompute=[...], disable=[...], ...}
    cache: bool | dict[str, Any] | None = None

    @property
    def output_path(self) -> str:
        return self.output or f"airflow_dags/{self.dag_id}.py"

    def embedded(self, final_vars: list[str] | tuple[str, ...]) -> dict[str, Any]:
        """The options the DAG file keeps beside its pipeline spec, whose outputs are ``final_vars``.

        ``final_vars`` appears only when the options asked for none (every leaf of the
        pipeline): recompiling then takes the leaves again, whatever they are by then.
        """
        data: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name in IN_PIPELINE_SPEC or f.name == "output":  # where the file lives is not what it says
                continue
            if f.name == "final_vars" and list(self.final_vars) == list(final_vars):
                continue
            value = getattr(self, f.name)
            if f.name in _KEPT_WHEN_SET and (value is None or value in ("", {}, [])):  # False is a setting
                continue
            data[f.name] = str(value) if f.name == "start_date" else value
        return data

    @classmethod
    def from_embedded(cls, spec: Mapping[str, Any], output: str | None = None) -> CompileOptions:
        """The options of a DAG file whose ``SPEC`` constant is ``spec`` (see :meth:`embedded`)."""
        compiled = dict(spec[COMPILE_OPTIONS_KEY])
        compiled.setdefault("final_vars", list(spec["final_vars"]))
        common = {name: spec[name] for name in IN_PIPELINE_SPEC if name in spec}  # adapters only when set
        return cls(**common, **compiled, output=output)
