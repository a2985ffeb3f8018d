"""The module of the seed's Builder example: ``my_variable`` under a ``config_key`` config.

The seed runs ``dr.execute(["my_variable"], inputs={...}, overrides={...})`` on the
multiprocessing executor, so this module has a block, inputs and a node to override.
"""

from hamilflow.htypes import Collect, Parallelizable


def base_number(x: int) -> int:
    return x * 2


def piece(base_number: int, n_pieces: int) -> Parallelizable[int]:
    for i in range(n_pieces):
        yield base_number + i


def piece_label(piece: int, config_key: str) -> str:
    return f"{config_key}:{piece}"


def my_variable(piece_label: Collect[str]) -> str:
    return ",".join(piece_label)
