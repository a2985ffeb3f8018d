"""Hamilton's materializers, loaders and savers on hamilflow: the same files and values as on Apache Hamilton."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hamilton import driver as hamilton_driver
from hamilton.io.data_adapters import DataLoader, DataSaver
from hamilton.io.materialization import from_, to
from hamilton.registry import register_adapter

from hamilflow import driver
from hamilflow.execution import executors, grouping

FRAMES = """
import pandas as pd

def frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"a": list(range(n)), "b": [2.5 * i for i in range(n)]})

def doubled(frame: pd.DataFrame) -> pd.DataFrame:
    return frame * 2

def total(doubled: pd.DataFrame) -> float:
    return float(doubled["b"].sum())

def summary(total: float, frame: pd.DataFrame) -> dict:
    return {"total": total, "rows": len(frame)}
"""


@dataclasses.dataclass
class LineSaver(DataSaver):
    """A custom saver: one line per item of a list."""

    path: str

    @classmethod
    def applicable_types(cls) -> list[type]:
        return [list]

    def save_data(self, data: list) -> dict[str, Any]:
        Path(self.path).write_text("\n".join(str(x) for x in data))
        return {"lines": len(data)}

    @classmethod
    def name(cls) -> str:
        return "lines"


@dataclasses.dataclass
class LineLoader(DataLoader):
    """A custom loader: one item per line."""

    path: str

    @classmethod
    def applicable_types(cls) -> list[type]:
        return [list]

    def load_data(self, type_: type) -> tuple[list, dict[str, Any]]:
        return Path(self.path).read_text().splitlines(), {"path": self.path}

    @classmethod
    def name(cls) -> str:
        return "lines"


register_adapter(LineSaver)
register_adapter(LineLoader)

SAVERS = {
    "csv": lambda p: to.csv(id="saved", dependencies=["doubled"], path=str(p / "out.csv")),
    "parquet": lambda p: to.parquet(id="saved", dependencies=["doubled"], path=str(p / "out.parquet")),
    "pickle": lambda p: to.pickle(id="saved", dependencies=["summary"], path=str(p / "out.pkl")),
    "json of a frame": lambda p: to.json(id="saved", dependencies=["doubled"], filepath_or_buffer=str(p / "o.json")),
    "feather": lambda p: to.feather(id="saved", dependencies=["doubled"], path=str(p / "out.feather")),
    "csv of two outputs combined": lambda p: to.csv(
        id="saved", dependencies=["frame", "doubled"], path=str(p / "two.csv"), combine=_frame_combiner()
    ),
}


def _frame_combiner():
    from hamilton import base as hamilton_base

    return hamilton_base.PandasDataFrameResult()


def _saved_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _metadata_without_times(metadata: dict) -> dict:
    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            drop = {"last_modified", "timestamp", "path"}
            return {k: clean(v) for k, v in value.items() if k not in drop}
        return value

    return clean(metadata)


@pytest.mark.parametrize("saver", sorted(SAVERS))
@pytest.mark.parametrize("additional", [[], ["total"]])
def test_materialize_saves_the_same_files_and_returns_the_same_metadata(
    module_from_source, tmp_path, saver, additional
) -> None:
    module = module_from_source(FRAMES)
    runs = []
    for name, builder in (("hamilton", hamilton_driver.Builder()), ("hamilflow", driver.Builder())):
        folder = tmp_path / name
        folder.mkdir()
        dr = builder.with_modules(module).build()
        metadata, values = dr.materialize(SAVERS[saver](folder), additional_vars=additional, inputs={"n": 4})
        runs.append((_metadata_without_times(metadata), values, _saved_files(folder)))
    assert runs[0][0] == runs[1][0] and runs[0][1] == runs[1][1]
    assert runs[0][2].keys() == runs[1][2].keys() and runs[0][2]
    if saver != "feather" and saver != "parquet":  # columnar files embed writer metadata; compared by content below
        assert runs[0][2] == runs[1][2]
    else:
        (ours,) = (tmp_path / "hamilflow").iterdir()
        (theirs,) = (tmp_path / "hamilton").iterdir()
        reader = pd.read_parquet if saver == "parquet" else pd.read_feather
        pd.testing.assert_frame_equal(reader(ours), reader(theirs))


@pytest.mark.parametrize("loader", ["csv", "parquet", "pickle"])
def test_an_extractor_replaces_the_node_it_loads(module_from_source, tmp_path, loader) -> None:
    module = module_from_source(FRAMES)
    frame = pd.DataFrame({"a": [10, 20], "b": [1.0, 3.0]})
    path = tmp_path / f"in.{loader}"
    {"csv": lambda: frame.to_csv(path, index=False), "parquet": lambda: frame.to_parquet(path),
     "pickle": lambda: frame.to_pickle(path)}[loader]()  # fmt: skip
    load = getattr(from_, loader)(target="frame", path=str(path))
    results = []
    for builder in (hamilton_driver.Builder(), driver.Builder()):
        _, values = builder.with_modules(module).build().materialize(load, additional_vars=["summary"])
        results.append(values)
    assert results[0] == results[1] == {"summary": {"total": 8.0, "rows": 2}}


def test_a_custom_saver_and_loader_registered_with_hamilton(module_from_source, tmp_path) -> None:
    module = module_from_source("def items(n: int) -> list:\n    return list(range(n))\n\n"
                                "def count(items: list) -> int:\n    return len(items)\n")  # fmt: skip
    for name, builder in (("hamilton", hamilton_driver.Builder()), ("hamilflow", driver.Builder())):
        path = tmp_path / f"{name}.txt"
        dr = builder.with_modules(module).build()
        metadata, _ = dr.materialize(to.lines(id="saved", dependencies=["items"], path=str(path)), inputs={"n": 3})
        assert metadata["saved"] == {"lines": 3} and path.read_text() == "0\n1\n2"
        _, values = dr.materialize(from_.lines(target="items", path=str(path)), additional_vars=["count"])
        assert values == {"count": 3}


def test_with_materializers_makes_savers_nodes_to_request(module_from_source, tmp_path) -> None:
    module = module_from_source(FRAMES)
    outputs = {}
    for name, builder in (("hamilton", hamilton_driver.Builder()), ("hamilflow", driver.Builder())):
        path = tmp_path / f"{name}.pkl"
        saver = to.pickle(id="saved_summary", dependencies=["summary"], path=str(path))
        dr = builder.with_modules(module).with_materializers(saver).build()
        result = dr.execute(["saved_summary", "total"], inputs={"n": 3})
        outputs[name] = (
            _metadata_without_times(result["saved_summary"]),
            result["total"],
            pickle.loads(path.read_bytes()),
        )
    assert outputs["hamilton"] == outputs["hamilflow"]


@pytest.mark.parametrize("executor", ["threads", "processes"])
def test_savers_run_on_every_executor(module_from_source, tmp_path, executor) -> None:
    module = module_from_source(FRAMES)
    remote = executors.MultiThreadingExecutor(2) if executor == "threads" else executors.MultiProcessingExecutor(2)
    dr = (
        driver.Builder()
        .with_modules(module)
        .enable_dynamic_execution(allow_experimental_mode=True)
        .with_local_executor(remote)
        .with_grouping_strategy(grouping.GroupNodesIndividually())
        .build()
    )
    metadata, values = dr.materialize(
        to.csv(id="saved", dependencies=["doubled"], path=str(tmp_path / "out.csv")), additional_vars=["total"],
        inputs={"n": 3},
    )  # fmt: skip
    assert values == {"total": 15.0} and metadata["saved"]["dataframe_metadata"]["rows"] == 3
    assert pd.read_csv(tmp_path / "out.csv")["b"].tolist() == [0.0, 5.0, 10.0]  # doubled, written by the worker


DECORATED_IO = """
import pandas as pd
from hamilton.function_modifiers import load_from, save_to, source, value, dataloader, datasaver

@load_from.csv(path=source("in_path"))
def cleaned(data: pd.DataFrame) -> pd.DataFrame:
    return data.dropna()

@save_to.csv(path=source("out_path"), output_name_="saved_cleaned")
def scaled(cleaned: pd.DataFrame) -> pd.DataFrame:
    return cleaned * 10

@dataloader()
def numbers(count: int) -> tuple[list, dict]:
    return list(range(count)), {"source": "memory"}

@datasaver()
def numbers_report(numbers: list, out_folder: str) -> dict:
    return {"n": len(numbers), "folder": out_folder}
"""


def test_hamiltons_io_decorators(module_from_source, tmp_path) -> None:
    module = module_from_source(DECORATED_IO)
    pd.DataFrame({"a": [1.0, None, 3.0]}).to_csv(tmp_path / "in.csv", index=False)
    results = []
    for name, builder in (("hamilton", hamilton_driver.Builder()), ("hamilflow", driver.Builder())):
        out = tmp_path / f"{name}.csv"
        dr = builder.with_modules(module).build()
        inputs = {"in_path": str(tmp_path / "in.csv"), "out_path": str(out), "count": 3, "out_folder": "f"}
        result = dr.execute(["scaled", "numbers", "numbers_report", "saved_cleaned"], inputs=inputs)
        results.append((result["scaled"], result["numbers"], result["numbers_report"], out.read_text()))
    pd.testing.assert_frame_equal(results[0][0], results[1][0])
    assert results[0][1:] == results[1][1:]
