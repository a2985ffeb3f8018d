"""config.when chooses between two parameterize_sources functions that generate the same nodes."""

from hamilton.function_modifiers import config, parameterize_sources

OUTPUTS = ["home_score", "away_score"]
INPUTS = {"home_goals": 2, "away_goals": 1}
CONFIG = {"sport": "football"}


@config.when(sport="football")
@parameterize_sources(home_score={"goals": "home_goals"}, away_score={"goals": "away_goals"})
def score__football(goals: int) -> int:
    return goals


@config.when(sport="rugby")
@parameterize_sources(home_score={"goals": "home_goals"}, away_score={"goals": "away_goals"})
def score__rugby(goals: int) -> int:
    return goals * 5
