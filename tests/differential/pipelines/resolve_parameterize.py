"""resolve builds a parameterize from the config: one node per configured threshold (decorators from hamilflow)."""

from hamilflow.function_modifiers import ResolveAt, parameterize, resolve, value

OUTPUTS = ["above_10", "above_50"]
INPUTS = {"values": [5, 20, 60, 80]}
CONFIG = {"hamilton.enable_power_user_mode": True, "thresholds": {"above_10": 10, "above_50": 50}}


@resolve(
    when=ResolveAt.CONFIG_AVAILABLE,
    decorate_with=lambda thresholds: parameterize(
        **{name: {"threshold": value(limit)} for name, limit in thresholds.items()}
    ),
)
def count_above(values: list, threshold: int) -> int:
    return sum(1 for v in values if v > threshold)
