"""What to compile: the pipeline (modules, config, outputs) and the DAG's settings."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


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
    tags: list[str] = field(default_factory=lambda: ["hamilflow"])
    output: str | None = None

    @property
    def output_path(self) -> str:
        return self.output or f"airflow_dags/{self.dag_id}.py"

    def to_json(self) -> str:
        data = asdict(self)
        data.pop("output")  # where the file lives is not part of what it says
        return json.dumps(data, sort_keys=True, default=str)

    @classmethod
    def from_json(cls, text: str, output: str | None = None) -> CompileOptions:
        return cls(**json.loads(text), output=output)
