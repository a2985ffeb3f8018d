"""Random pipelines for the property tests: a plain description, its module source, and its values.

A pipeline is a list of :class:`Step` in definition order; each step is a function node,
an expander (opening a ``Parallelizable[]`` block) or a collector (closing values of a
block one level down with ``Collect[]``). Every step lives in a *scope*, the path of the
expanders whose blocks enclose it, and reads only what is visible there: the input ``x``,
earlier values of its own or an enclosing scope, and the item of every enclosing block.
That is how chains, diamonds (a value read twice), blocks, nested blocks, several
collectors of one block, and a block node reading its own block's collector (a collector of
the enclosing scope is visible inside the block) all arise.

:func:`source` writes the module a user would; :func:`evaluate` computes the same values in
plain Python, item by item, with no hamilflow at all: the reference the back ends must match.
Values are small integers, and collectors weigh each item by its position, so an item
delivered out of order changes the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

MODULUS = 10007


@dataclass
class Step:
    name: str
    kind: str  # "func", "expand" or "collect"
    scope: tuple[str, ...]
    reads: list[str] = field(default_factory=list)
    collects: list[str] = field(default_factory=list)  # a collector's Collect[] parameters
    weights: list[int] = field(default_factory=list)  # one per read, then one per collected value
    const: int = 0
    max_items: int = 0  # an expander makes (its first read) % (max_items + 1) items


@dataclass
class Pipeline:
    steps: list[Step]
    x: int

    @property
    def outputs(self) -> list[str]:
        """The top-level values: what a user can request."""
        return [s.name for s in self.steps if not s.scope and s.kind != "expand"]


def _visible(steps: list[Step], scope: tuple[str, ...]) -> list[str]:
    names = ["x"]
    for step in steps:
        if step.kind == "expand":
            block = step.scope + (step.name,)
            if scope[: len(block)] == block:
                names.append(step.name)  # the item of an enclosing block
        elif scope[: len(step.scope)] == step.scope:
            names.append(step.name)
    return names


def _add(
    draw: Any,
    steps: list[Step],
    scopes: list[tuple[str, ...]],
    max_depth: int,
    max_items: int,
    kind: str | None = None,
    scope: tuple[str, ...] | None = None,
    also_read: str | None = None,
) -> Step:
    """Draw one step (its kind and scope too, unless given) and add it. Mutates ``steps`` and ``scopes``."""
    if scope is None:
        scope = draw(st.sampled_from(scopes[::-1]))  # the newest block first: deeper nesting is likelier
    children = [step.scope + (step.name,) for step in steps if step.kind == "expand" and step.scope == scope]
    collectable = {child: [t.name for t in steps if t.scope == child and t.kind != "expand"] for child in children}
    if kind is None:
        kinds = ["func", "func"]
        if len(scope) < max_depth:
            kinds.append("expand")
        if any(collectable.values()):
            kinds += ["collect", "collect"]  # favoured: blocks are only seen through their collectors
        kind = draw(st.sampled_from(kinds))
    visible = _visible(steps, scope)
    if kind == "collect":
        child = draw(st.sampled_from([c for c, names in collectable.items() if names]))
        collects = draw(st.lists(st.sampled_from(collectable[child]), min_size=1, max_size=2, unique=True))
        reads = draw(st.lists(st.sampled_from(visible), max_size=1, unique=True))
    else:
        collects = []
        reads = draw(st.lists(st.sampled_from(visible), min_size=1, max_size=3, unique=True))
        if scope:  # a node is in a block by what it reads: the block's item or another value of the block
            own = [scope[-1]] + [t.name for t in steps if t.scope == scope and t.kind != "expand"]
            if not set(reads) & set(own):
                reads.append(draw(st.sampled_from(own)))
    if also_read is not None and also_read not in reads:
        reads.append(also_read)
    size = len(reads) + len(collects)
    weights = draw(st.lists(st.integers(1, 9), min_size=size, max_size=size))
    step = Step(f"n{len(steps)}", kind, scope, reads, collects, weights, draw(st.integers(0, 99)))
    if kind == "expand":
        step.max_items = draw(st.integers(0, max_items))
        scopes.append(scope + (step.name,))
    steps.append(step)
    return step


@st.composite
def pipelines(draw: Any, max_steps: int = 10, max_depth: int = 2, max_items: int = 3) -> Pipeline:
    """A random valid pipeline: a drawn skeleton of blocks, then up to ``max_steps`` random steps.

    The skeleton makes the shapes that matter likely in a small budget: a block with a
    collector, and (each drawn) an inner block collected in it, a block node reading its own
    block's collector (collected again), and a second collector of the same block.
    """
    steps: list[Step] = []
    scopes: list[tuple[str, ...]] = [()]

    def add(**forced: Any) -> Step:
        return _add(draw, steps, scopes, max_depth, max_items, **forced)

    if draw(st.booleans()):
        add(kind="func", scope=())
    block = add(kind="expand", scope=()).name
    add(kind="func", scope=(block,))
    if max_depth > 1 and draw(st.booleans()):
        inner = add(kind="expand", scope=(block,)).name
        add(kind="func", scope=(block, inner))
        add(kind="collect", scope=(block,))
    collector = add(kind="collect", scope=())
    if draw(st.booleans()):
        add(kind="func", scope=(block,), also_read=collector.name)  # reads its own block's collector
        add(kind="collect", scope=())
    if draw(st.booleans()):
        add(kind="collect", scope=())
    for _ in range(draw(st.integers(0, max_steps))):
        add()
    return Pipeline(steps, draw(st.integers(0, 50)))


def source(pipeline: Pipeline) -> str:
    """The pipeline as the module a user would write."""
    lines = ["from hamilflow.htypes import Collect, Parallelizable", ""]
    for step in pipeline.steps:
        params = [f"{r}: int" for r in step.reads] + [f"{c}: Collect[int]" for c in step.collects]
        read_terms = [f"{r} * {w}" for r, w in zip(step.reads, step.weights)]
        lines.append("")
        if step.kind == "func":
            lines.append(f"def {step.name}({', '.join(params)}) -> int:")
            lines.append(f"    return ({' + '.join(read_terms)} + {step.const}) % {MODULUS}")
        elif step.kind == "expand":
            first = step.reads[0]
            lines.append(f"def {step.name}({', '.join(params)}) -> Parallelizable[int]:")
            lines.append(f"    for i in range({first} % {step.max_items + 1}):")
            lines.append(f"        yield (i * {step.weights[0]} + {' + '.join(step.reads)} + {step.const}) % {MODULUS}")
        else:
            collected = [
                f"sum((i + 1) * v for i, v in enumerate({c})) * {w}"
                for c, w in zip(step.collects, step.weights[len(step.reads) :])
            ]
            terms = read_terms + collected + [f"len({step.collects[0]})", str(step.const)]
            lines.append(f"def {step.name}({', '.join(params)}) -> int:")
            lines.append(f"    return ({' + '.join(terms)}) % {MODULUS}")
        lines.append("")
    return "\n".join(lines)


def evaluate(pipeline: Pipeline) -> dict[str, int]:
    """The top-level values, computed in plain Python from the description (no hamilflow)."""
    steps = {s.name: s for s in pipeline.steps}
    memo: dict[tuple[str, tuple[int, ...]], Any] = {}

    def items(name: str, index: tuple[int, ...]) -> list[int]:
        step = steps[name]
        key = (name, index)
        if key not in memo:
            values = [read(r, index) for r in step.reads]
            count = values[0] % (step.max_items + 1)
            memo[key] = [(i * step.weights[0] + sum(values) + step.const) % MODULUS for i in range(count)]
        return memo[key]

    def read(name: str, index: tuple[int, ...]) -> int:
        """The value ``name`` as seen from a scope at ``index``."""
        if name == "x":
            return pipeline.x
        step = steps[name]
        if step.kind == "expand":
            depth = len(step.scope)
            return items(name, index[:depth])[index[depth]]
        return value(name, index[: len(step.scope)])

    def value(name: str, index: tuple[int, ...]) -> int:
        key = (name, index)
        if key in memo:
            return memo[key]
        step = steps[name]
        total = sum(read(r, index) * w for r, w in zip(step.reads, step.weights)) + step.const
        if step.kind == "collect":
            expander = steps[step.collects[0]].scope[-1]
            count = len(items(expander, index))
            for c, w in zip(step.collects, step.weights[len(step.reads) :]):
                total += w * sum((i + 1) * value(c, index + (i,)) for i in range(count))
            total += count
        memo[key] = total % MODULUS
        return memo[key]

    return {name: value(name, ()) for name in pipeline.outputs}
