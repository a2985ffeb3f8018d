"""Every I/O pipeline returns, reports and writes on hamilflow what it does on Apache Hamilton.

The pipelines (``pipelines/``) cover ``to.*``/``from_.*`` with ``Driver.materialize`` (CSV,
Parquet, JSON, pickle, raw files), ``Builder.with_materializers``, ``@load_from``,
``@save_to``, ``@dataloader``, ``@datasaver``, a DataLoader/DataSaver of our own registered
with Hamilton, loaders feeding a ``Parallelizable`` block and savers inside and after blocks.
Each runs on Hamilton (the reference) and on hamilflow's Driver, threads and process pool; the files
are compared byte for byte (see ``harness.py`` for the two things normalised: the run's folder
and the saver's clock).
"""

from __future__ import annotations

import pytest

from hamilflow.execution import executors
from tests.differential import harness as corpus
from tests.differential.io import harness
from tests.differential.io.harness import IO_PIPELINES

NAMES = corpus.module_names(IO_PIPELINES)


def test_the_io_corpus_covers_every_way_of_loading_and_saving() -> None:
    sources = {name: corpus.fresh_module(IO_PIPELINES, name) for name in NAMES}
    texts = {name: open(module.__file__).read() for name, module in sources.items()}
    assert len(NAMES) >= 25
    for needle in ("to.csv", "to.parquet", "to.json", "to.pickle", "to.file", "from_.csv", "from_.parquet",
                   "from_.json", "from_.pickle", "from_.file", "to.jsonlines", "from_.jsonlines", "@load_from.",
                   "@save_to.", "@dataloader", "@datasaver", "@save_to.jsonlines", "@load_from.jsonlines"):  # fmt: skip
        assert any(needle in text for text in texts.values()), f"no pipeline uses {needle}"
    assert sum(hasattr(m, "_builder_materializers") for m in sources.values()) >= 3
    assert sum(corpus.is_dynamic(m) for m in sources.values()) >= 6
    assert sum(bool(m.WRITES) for m in sources.values()) >= 15


@pytest.mark.parametrize("name", NAMES)
def test_hamilflow_driver_reads_and_writes_as_hamilton(name: str, tmp_path) -> None:
    expected = harness.on_hamilton(name, tmp_path / "hamilton")

    actual = harness.on_hamilflow(name, tmp_path / "hamilflow")

    harness.assert_same_outcome(expected, actual, name)


@pytest.mark.parametrize("name", NAMES)
def test_hamilflow_threads_read_and_write_as_hamilton(name: str, tmp_path) -> None:
    """Every node a task on two threads: loaders and savers run on the pool's threads."""
    expected = harness.on_hamilton(name, tmp_path / "hamilton")

    actual = harness.on_hamilflow(name, tmp_path / "hamilflow", executors.MultiThreadingExecutor(2), everywhere=True)

    harness.assert_same_outcome(expected, actual, name)


@pytest.mark.parametrize("name", NAMES)
def test_hamilflow_process_pool_reads_and_writes_as_hamilton(name: str, tmp_path) -> None:
    """Every node a task on the pool: loaders and savers run, and write, in worker processes."""
    expected = harness.on_hamilton(name, tmp_path / "hamilton")

    actual = harness.on_hamilflow(name, tmp_path / "hamilflow", executors.MultiProcessingExecutor(2), everywhere=True)

    harness.assert_same_outcome(expected, actual, name, crossed_processes=True)


@pytest.mark.parametrize("name", [n for n in NAMES if corpus.is_dynamic(corpus.fresh_module(IO_PIPELINES, n))])
def test_hamilflow_blocks_on_a_process_pool_read_and_write_as_hamilton(name: str, tmp_path) -> None:
    """As a Hamilton user writes it: only the blocks' tasks on the pool, the rest in this process."""
    expected = harness.on_hamilton(name, tmp_path / "hamilton")

    actual = harness.on_hamilflow(name, tmp_path / "hamilflow", executors.MultiProcessingExecutor(2))

    harness.assert_same_outcome(expected, actual, name, crossed_processes=True)


READERS = ["from_csv_replaces_node", "from_parquet_target", "builder_loader", "load_from_csv", "dataloader_decorator",
           "custom_load_from", "loader_feeds_block"]  # fmt: skip


@pytest.mark.parametrize("back_end", ["driver", "processes"])
@pytest.mark.parametrize("name", READERS)
def test_a_missing_input_file_fails_as_in_hamilton(name: str, back_end: str, tmp_path) -> None:
    """The loader's own error (type and message, the run's folder normalised), and nothing written."""

    def failure(run):
        with pytest.raises(Exception) as info:  # noqa: PT011 - the error is what is compared
            run()
        return type(info.value), str(info.value).replace(str(tmp_path / "hamilton"), "<folder>").replace(
            str(tmp_path / "hamilflow"), "<folder>"
        )

    expected = failure(lambda: harness.on_hamilton(name, tmp_path / "hamilton", without_inputs=True))
    pool = executors.MultiProcessingExecutor(2) if back_end == "processes" else None
    actual = failure(
        lambda: harness.on_hamilflow(name, tmp_path / "hamilflow", pool, everywhere=True, without_inputs=True)
    )

    assert actual == expected and issubclass(expected[0], FileNotFoundError)
    assert not harness.files_in(tmp_path / "hamilflow")
