"""Pictures of the graph: DOT text from the Driver, written or rendered by Graphviz."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from hamilflow import driver, visualize
from hamilflow.graph import FunctionGraph
from tests.resources.core import calls, future_annotations, marketing

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")


def _edges(dot: str) -> set[tuple[str, str]]:
    return set(re.findall(r'^\s*"(\w+)" -> "(\w+)"', dot, flags=re.MULTILINE))


def _node_lines(dot: str) -> dict[str, str]:
    return {m.group(1): m.group(0) for m in re.finditer(r'^\s*"(\w+)" \[.*\];$', dot, flags=re.MULTILINE)}


def test_display_all_functions_returns_the_whole_graph_as_dot() -> None:
    dr = driver.Driver({}, marketing)
    dot = dr.display_all_functions()
    assert dot.startswith("digraph hamilflow {") and dot.rstrip().endswith("}")
    assert set(_node_lines(dot)) == set(dr.graph.nodes)
    assert _edges(dot) == {(p, n.name) for n in dr.graph.nodes.values() for p in n.input_types}
    nodes = _node_lines(dot)
    assert r'label="spend_mean\nfloat"' in nodes["spend_mean"]  # name and type on two lines
    assert "style=dashed" in nodes["spend"]  # an external input
    assert "style=dashed" not in nodes["spend_mean"]


def test_display_all_functions_writes_a_dot_file(tmp_path: Path) -> None:
    dr = driver.Driver({}, marketing)
    target = tmp_path / "graph.dot"
    dot = dr.display_all_functions(str(target))
    assert target.read_text() == dot


def test_visualize_execution_draws_only_what_would_run(tmp_path: Path) -> None:
    dr = driver.Driver({}, calls)
    dot = dr.visualize_execution(["total"], str(tmp_path / "run.dot"), inputs={"source": "db"})
    assert set(_node_lines(dot)) == {"source", "raw_data", "cleaned", "bonus", "total"}
    assert "penwidth=3" in _node_lines(dot)["total"]  # the requested output stands out
    assert "penwidth=3" not in _node_lines(dot)["cleaned"]
    assert (tmp_path / "run.dot").read_text() == dot


def test_visualize_execution_stops_at_overrides() -> None:
    dr = driver.Driver({}, calls)
    dot = dr.visualize_execution(["total"], overrides={"cleaned": [1]})
    nodes = _node_lines(dot)
    assert set(nodes) == {"cleaned", "bonus", "total"}
    assert "filled" in nodes["cleaned"]
    assert _edges(dot) == {("cleaned", "total"), ("bonus", "total")}


def test_blocks_are_drawn_as_clusters() -> None:
    dot = visualize.to_dot(FunctionGraph.from_modules(future_annotations))
    assert 'subgraph "cluster_rows"' in dot and "for each rows" in dot
    assert "shape=invhouse" in _node_lines(dot)["rows"]
    assert "shape=house" in _node_lines(dot)["sum_of_squares"]
    assert '"squared" -> "sum_of_squares" [style=bold, label=collect];' in dot


def test_names_with_quotes_and_backslashes_are_escaped() -> None:
    assert visualize._quote('a"b\\c') == '"a\\"b\\\\c"'


@needs_dot
def test_renders_svg_when_graphviz_is_installed(tmp_path: Path) -> None:
    dr = driver.Driver({}, marketing)
    target = tmp_path / "graph.svg"
    dr.display_all_functions(str(target))
    svg = target.read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    # the label's line break is rendered as two lines, not as a literal backslash-n
    assert "spend_zero_mean" in texts and "Series" in texts
    assert not any("\\n" in t for t in texts)


@needs_dot
def test_render_format_can_be_given_explicitly(tmp_path: Path) -> None:
    dr = driver.Driver({}, calls)
    target = tmp_path / "execution"
    dr.visualize_execution(["total"], str(target), render_kwargs={"format": "svg"}, inputs={"source": "db"})
    assert "<svg" in target.read_text()


def test_without_graphviz_the_dot_text_is_kept_and_the_error_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(visualize.shutil, "which", lambda name: None)
    dr = driver.Driver({}, marketing)
    with pytest.raises(RuntimeError, match="apt-get install graphviz") as info:
        dr.display_all_functions(str(tmp_path / "graph.png"))
    assert "graph.dot" in str(info.value)
    assert (tmp_path / "graph.dot").read_text() == dr.display_all_functions()
