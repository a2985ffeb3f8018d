"""mutate with apply_to().when(): the transform applies only under a config value."""

from hamilton.function_modifiers import apply_to, mutate

OUTPUTS = ["events"]
INPUTS = {"raw_events": ["b", "a", "b", "c"]}
CONFIG = {"dedupe": True}


def events(raw_events: list) -> list:
    return list(raw_events)


@mutate(apply_to(events).when(dedupe=True))
def _unique(items: list) -> list:
    return sorted(set(items))


@mutate(apply_to(events).when(dedupe=False))
def _reverse(items: list) -> list:
    return items[::-1]
