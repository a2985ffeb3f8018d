"""The names a DAG file is made of: module and node names are plain Python names, or the compile stops.

A pipeline's module names and node names reach the generated source: in its docstring and
comments, in string literals, as task ids and as the names of task functions. Every value
is written as an escaped literal (:mod:`hamilflow.compiler.pyformat`), but a name is also
text people read, and one that can hold a newline could make a line of the file say
anything. So the compiler takes only names Python itself could have written: a module is
an import path (identifiers joined by dots) and a node is an identifier, or a namespace's
path of identifiers joined by dots (``features.total``). Anything else, a control
character above all, is refused before a DAG exists, naming the module or node, where it
was defined and how to rename it. Names a user could not have typed (a ``name=`` of
``@config.when``, a module made with ``types.ModuleType``) are the ones this catches.

    >>> module_problems(["pipelines.features"])
    []
    >>> module_problems(["pipelines/features.py"])[0][:60]
    "module 'pipelines/features.py' is not a Python import path: "
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hamilflow.graph import FunctionGraph


def dotted(name: str) -> bool:
    """Whether ``name`` is identifiers joined by dots (``a``, ``a.b``): a module's import path, a node's name."""
    return bool(name) and all(part.isidentifier() for part in name.split("."))


def shown(text: str) -> str:
    """``text`` for a message: as it is when printable, else as a Python literal (a newline shows as ``\\n``)."""
    return text if text.isprintable() else repr(text)


def _why(name: str) -> str:
    """What makes ``name`` no dotted Python name, in words."""
    controls = sorted({c for c in name if not c.isprintable()})
    if controls:
        listed = ", ".join(repr(c) for c in controls)
        return f"it contains the control character{'s' * (len(controls) > 1)} {listed}"
    if not name:
        return "it is empty"
    bad = next(part for part in name.split(".") if not part.isidentifier())
    return f"'{bad}' is not a Python identifier" if bad else "it has an empty part between dots"


def module_problems(modules: list[str]) -> list[str]:
    """The modules a DAG would be compiled from whose names are not import paths (checked before importing)."""
    problems = []
    for name in modules:
        if dotted(name):
            continue
        hint = ""
        if (name.endswith(".py") or "/" in name) and name.isprintable():
            hint = f" Name it by its import path, like {name.removesuffix('.py').replace('/', '.')}, not a file path."
        problems.append(
            f"module {name!r} is not a Python import path: {_why(name)}. A DAG file names the modules it runs, and "
            "Airflow's workers import them by that name: give a module named with identifiers joined by dots "
            f"(like pipelines.features).{hint}"
        )
    return problems


def node_problems(graph: FunctionGraph) -> list[str]:
    """The nodes whose names, or whose modules' names, are not Python names: each with where it comes from."""
    problems = []
    bad_modules: set[str] = set()
    for name, node in graph.nodes.items():
        if node.module and not dotted(node.module) and node.module not in bad_modules:
            bad_modules.add(node.module)
            problems.append(
                f"module {node.module!r}, which defines node {shown(name)!r}, is not a Python import path: "
                f"{_why(node.module)}. Workers import a module by its name: define the functions in a module named "
                "with identifiers joined by dots (like pipelines.features)."
            )
        if dotted(name):
            continue
        where = "an input of " + ", ".join(sorted(node.dependents)) if node.is_external_input else shown(node.where)
        problems.append(
            f"node {name!r} ({where}) has a name that is not a Python name: {_why(name)}. Its name becomes an Airflow "
            "task id and a name in the DAG file: rename it to an identifier (for a decorator that names nodes, such as "
            "@config.when(name=...), @parameterize or @extract_columns, the name it is given)."
        )
    return problems
