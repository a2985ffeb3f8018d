"""Blocks on Airflow: several Collect[] params, nested blocks, zero items, failures, chunking, groupings."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.airflow

BLOCKS = "tests.resources.airflow.blocks"
CUBE = "tests.resources.airflow.cube"
BLOCK_OUTPUTS = ["summary", "second_total", "mixed", "pairs", "cube"]


def test_collects_from_two_blocks_and_three_nested_levels_equal_the_driver(compile_dag, run_dag, local) -> None:
    path = compile_dag([BLOCKS, CUBE], "blocks_and_cube", final_vars=BLOCK_OUTPUTS)
    result = run_dag(path)

    assert result.outputs == local([BLOCKS, CUBE], BLOCK_OUTPUTS)
    assert result.outputs["cube"] == [[[0, 1], [10, 11]], [[100, 101]], []]
    # plane 2 has no lines: its line block is empty, and so are the point blocks under it
    assert [t.label for t in result.instances("point_code")] == [
        "plane=0, line=[0, 0], point=[0, 0, 0]",
        "plane=0, line=[0, 0], point=[0, 0, 1]",
        "plane=0, line=[0, 1], point=[0, 1, 0]",
        "plane=0, line=[0, 1], point=[0, 1, 1]",
        "plane=1, line=[1, 0], point=[1, 0, 0]",
        "plane=1, line=[1, 0], point=[1, 0, 1]",
    ]
    assert len(result.instances("a_sq__a_cube")) == 4 and len(result.instances("b_up")) == 3


@pytest.mark.parametrize("grouping", ["chains", "all", "individual"])
def test_every_grouping_compiles_and_gives_the_same_outputs(compile_dag, run_dag, local, grouping) -> None:
    outputs = ["summary", "second_total", "mixed"]
    path = compile_dag(BLOCKS, f"blocks_{grouping}", final_vars=outputs, grouping=grouping)
    result = run_dag(path)

    assert result.outputs == local(BLOCKS, outputs)
    assert all(t.state == "success" for t in result.tasks)


def test_a_failing_item_fails_the_run_and_its_collector_never_runs(compile_dag, run_dag) -> None:
    path = compile_dag("tests.resources.airflow.failing", "failing_item", final_vars=["report"])
    result = run_dag(path, expect="failed")

    assert [(t.map_index, t.state) for t in result.instances("work")] == [
        (0, "success"),
        (1, "success"),
        (2, "failed"),
        (3, "success"),
    ]
    assert result.instances("work")[2].label == "item=2"  # a failed instance still shows its item
    assert result.instances("total")[0].state == "upstream_failed"
    assert result.instances("report")[0].state == "upstream_failed"
    failed = result.instances("work")[2]
    assert failed.error.startswith("ItemFailed: item 2 is broken")
    assert "raised in node 'work'" in failed.error


def test_zero_items_in_a_test_pipeline_still_run_the_collector_and_what_follows(compile_dag, run_dag, local) -> None:
    path = compile_dag("tests.resources.airflow.failing", "zero_items", final_vars=["report"])
    result = run_dag(path, run_conf={"n_items": 0})

    expected = local("tests.resources.airflow.failing", ["report"], {"n_items": 0})
    assert result.outputs == expected == {"report": "total=0"}


def test_more_items_than_max_map_length_are_packed_into_chunks(compile_dag, run_dag, local, monkeypatch) -> None:
    from hamilflow.runtime.airflow import max_map_length

    monkeypatch.setenv("AIRFLOW__CORE__MAX_MAP_LENGTH", "4")
    assert max_map_length() == 4
    path = compile_dag("tests.resources.airflow.many", "many_items", final_vars=["squares", "grid"])
    result = run_dag(path)

    assert result.outputs == local("tests.resources.airflow.many", ["squares", "grid"])
    squares = result.instances("square")  # 10 items in at most 4 chunks
    assert len(squares) == 4
    assert [t.label for t in squares] == [
        "3 items: item=0 … item=2",
        "3 items: item=3 … item=5",
        "2 items: item=6 … item=7",
        "2 items: item=8 … item=9",
    ]
    members = result.instances("member_value")  # 3 x 4 nested items in at most 4 chunks
    assert len(members) == 4
    assert members[0].label == "3 items: group='g0', member='g0m0' … group='g0', member='g0m2'"
    assert len(result.instances("group_values")) == 3


def test_without_chunking_airflow_refuses_more_items_than_max_map_length(compile_dag, run_dag, monkeypatch) -> None:
    # what the chunking avoids: the server refuses a mapped XCom longer than the limit, and the run fails
    import hamilflow.runtime.airflow

    monkeypatch.setenv("AIRFLOW__CORE__MAX_MAP_LENGTH", "4")
    monkeypatch.setattr(hamilflow.runtime.airflow, "max_map_length", lambda: 1024)
    path = compile_dag("tests.resources.airflow.many", "many_unchunked", final_vars=["squares"])
    result = run_dag(path, expect="failed")

    (expander,) = result.instances("item")
    assert expander.state == "failed"
    assert "too large to map" in expander.error or "unmappable" in expander.error


PACKED = "tests.airflow.packed_pipeline"


def test_items_are_packed_by_default_from_the_deployments_slots_and_keep_their_labels(
    compile_dag, run_dag, local, monkeypatch
) -> None:
    # one task at a time: automatic packing makes 4 instances per slot; the tagged block keeps one item each
    monkeypatch.setenv("AIRFLOW__CORE__PARALLELISM", "1")
    path = compile_dag(PACKED, "packed_default", final_vars=["revenues", "fits"])
    result = run_dag(path)

    assert result.outputs == local(PACKED, ["revenues", "fits"])
    assert [t.label for t in result.instances("revenue")] == [
        "2 items: segment='smb' … segment='mid'",
        "2 items: segment='large' … segment='public'",
        "segment='edu'",
        "segment='partner'",
    ]
    assert [t.label for t in result.instances("fitted")] == ["model=0", "model=1", "model=2"]


def test_the_items_per_task_option_packs_every_untagged_block(compile_dag, run_dag, local) -> None:
    path = compile_dag(PACKED, "packed_option", final_vars=["revenues", "fits"], items_per_task=6)
    result = run_dag(path)

    assert result.outputs == local(PACKED, ["revenues", "fits"])
    assert [t.label for t in result.instances("revenue")] == ["6 items: segment='smb' … segment='partner'"]
    assert len(result.instances("fitted")) == 3  # the tag wins over the option


def test_a_failing_item_in_a_chunk_is_named_in_the_error_and_the_label(compile_dag, run_dag) -> None:
    path = compile_dag("tests.resources.airflow.failing", "failing_chunk", final_vars=["report"], items_per_task=4)
    result = run_dag(path, expect="failed")

    (chunk,) = result.instances("work")
    assert chunk.state == "failed"
    assert chunk.label == "4 items: item 2 failed, item=2"
    assert chunk.error.startswith("ItemFailed: item 2 is broken")
    assert "node 'work' failed for item 2 of the 4 items of this chunk: index [2], item=2" in chunk.error
    assert result.instances("total")[0].state == "upstream_failed"


POOLED = "tests.airflow.pooled_pipeline"


@pytest.fixture
def airflow_pool():
    """Sets a pool's slots in the session's Airflow DB with Airflow's own model; restores what was there."""
    from airflow.models.pool import Pool

    made: dict[str, int | None] = {}

    def set_slots(name: str, slots: int) -> None:
        before = Pool.get_pool(name)
        made.setdefault(name, None if before is None else before.slots)
        Pool.create_or_update_pool(name, slots, "hamilflow test", include_deferred=False)

    yield set_slots
    for name, slots in made.items():
        if slots is None:
            Pool.delete_pool(name)
        else:
            Pool.create_or_update_pool(name, slots, "", include_deferred=False)


def test_a_block_in_a_pool_of_few_slots_is_packed_into_fewer_larger_chunks(
    compile_dag, run_dag, local, airflow_pool
) -> None:
    # defaults: parallelism 32, 16 tasks per DAG, default_pool 128 slots -> 64 instances, one item each here;
    # hamilflow_one_slot runs one instance at a time -> 4 instances (4 per slot) of 3 items
    airflow_pool("hamilflow_one_slot", 1)
    path = compile_dag(POOLED, "pooled_blocks", final_vars=["lookups", "measures"])
    result = run_dag(path)

    assert result.outputs == local(POOLED, ["lookups", "measures"])
    assert [t.label for t in result.instances("looked_up")] == [
        "3 items: city='oslo' … city='pune'",
        "3 items: city='kiev' … city='doha'",
        "3 items: city='riga' … city='bern'",
        "3 items: city='nice' … city='lodz'",
    ]
    assert len(result.instances("measured")) == 12  # the same block in the default pool


def test_packing_reads_the_default_pools_real_slots_not_its_configured_size(compile_dag, run_dag, airflow_pool) -> None:
    airflow_pool("hamilflow_one_slot", 1)
    airflow_pool("default_pool", 2)  # an operator resized it; [core] default_pool_task_slot_count still says 128
    path = compile_dag(POOLED, "pooled_default", final_vars=["lookups", "measures"])
    result = run_dag(path)

    labels = [t.label for t in result.instances("measured")]  # 2 slots: 8 instances for the 12 items
    assert labels[0] == "2 items: town='oslo' … town='lima'" and labels[-1] == "town='lodz'"
    assert [int(t.split(" items:")[0]) if " items:" in t else 1 for t in labels] == [2, 2, 2, 2, 1, 1, 1, 1]
    assert len(result.instances("looked_up")) == 4
