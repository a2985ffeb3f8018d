"""Node names in three scripts, inside a Parallelizable[] block (tests/airflow/test_long_names.py).

Each name is a Python identifier; percent-encoded for the artifact store (``ö`` is ``%C3%B6``,
``数`` is ``%E6%95%B0``), each is longer than a file name may be (255 bytes), so the store
keeps a readable prefix and a hash of it.
"""

# The names are long and in scripts without case, on purpose: ruff's line length and lower-case rules do not apply.
# ruff: noqa: E501, N802, N803

from hamilflow.htypes import Collect, Parallelizable


def größenmäßig_übergroße_äußerungen_über_öläpfel_süßigkeiten_für_übungsläufe_müßiggänger_größenwahn_ärger_übel_grüße_süße_bäöüß(
    n: int = 4,
) -> Parallelizable[int]:
    """The block's items: 0..n-1."""
    yield from range(n)


def длина_каждого_элемента_в_очень_длинном_списке_значений(
    größenmäßig_übergroße_äußerungen_über_öläpfel_süßigkeiten_für_übungsläufe_müßiggänger_größenwahn_ärger_übel_grüße_süße_bäöüß: int,
) -> int:
    return (
        größenmäßig_übergroße_äußerungen_über_öläpfel_süßigkeiten_für_übungsläufe_müßiggänger_größenwahn_ärger_übel_grüße_süße_bäöüß
        * 10
    )


def 数量数量数量数量数量数量数量数量数量数量数量数量数量数量数量数量(
    длина_каждого_элемента_в_очень_длинном_списке_значений: int,
) -> str:
    return f"{длина_каждого_элемента_в_очень_длинном_списке_значений}個"


def 合計(数量数量数量数量数量数量数量数量数量数量数量数量数量数量数量数量: Collect[str]) -> list:
    """Every item's text, in item order."""
    return list(数量数量数量数量数量数量数量数量数量数量数量数量数量数量数量数量)
