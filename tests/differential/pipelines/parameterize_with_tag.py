"""parameterize under tag: every generated node carries the tags."""

from hamilton.function_modifiers import parameterize, tag, value

OUTPUTS = ["clip_low", "clip_high"]
INPUTS = {"signal": [-5, 0, 5, 10]}
AIRFLOW = True


@tag(team="signals", stage="clean")
@parameterize(clip_low={"limit": value(0)}, clip_high={"limit": value(6)})
def clip(signal: list, limit: int) -> list:
    return [min(s, limit) for s in signal]
