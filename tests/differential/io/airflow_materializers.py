"""The materializers of some I/O corpus pipelines, as functions of no argument a compiled DAG can name.

``compile --materializer tests.differential.io.airflow_materializers:<pipeline>``: each function
returns the pipeline's ``_materializers`` for the folder named by ``$HAMILFLOW_DIFF_IO_FOLDER``.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Callable

from tests.differential.io.harness import IO_PIPELINES


def _of(name: str) -> Callable[[], list]:
    def materializers() -> list:
        module = importlib.import_module(f"{IO_PIPELINES}.{name}")
        return module._materializers(Path(os.environ["HAMILFLOW_DIFF_IO_FOLDER"]))

    return materializers


from_csv_to_parquet = _of("from_csv_to_parquet")
custom_loader_and_saver = _of("custom_loader_and_saver")
to_several_formats = _of("to_several_formats")
