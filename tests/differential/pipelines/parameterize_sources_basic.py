"""parameterize_sources: each generated node wires its parameters to other nodes (decorators from hamilflow)."""

from hamilflow.function_modifiers import parameterize_sources

OUTPUTS = ["area_small", "area_large"]
INPUTS = {"small_w": 2, "small_h": 3, "large_w": 10, "large_h": 20}


@parameterize_sources(
    area_small={"width": "small_w", "height": "small_h"},
    area_large={"width": "large_w", "height": "large_h"},
)
def area(width: int, height: int) -> int:
    return width * height
