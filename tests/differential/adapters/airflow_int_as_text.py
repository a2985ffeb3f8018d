"""A pipeline with an edge Hamilton's type rules refuse: ``label`` wants a ``str`` where ``doubled`` gives an
``int``. A Driver builds it only with an adapter whose edge check accepts that edge (``test_on_airflow.py``)."""


def doubled(x: int) -> int:
    return x * 2


def label(doubled: str) -> str:
    return f"value={doubled}"
