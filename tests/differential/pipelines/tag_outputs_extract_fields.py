"""tag_outputs gives each field of an extract_fields function its own tags."""

from hamilton.function_modifiers import extract_fields, tag_outputs

OUTPUTS = ["mean", "spread"]
INPUTS = {"samples": [2.0, 4.0, 9.0]}


@tag_outputs(mean={"stat": "central"}, spread={"stat": "dispersion", "unit": "same"})
@extract_fields({"mean": float, "spread": float})
def summary(samples: list) -> dict:
    return {"mean": sum(samples) / len(samples), "spread": max(samples) - min(samples)}
