"""inject binds one parameter to a literal and another to a renamed upstream node (decorators from hamilflow)."""

from hamilflow.function_modifiers import inject, source, value

OUTPUTS = ["padded"]
INPUTS = {"label": "id", "raw_text": "42"}
AIRFLOW = True


@inject(width=value(6), text=source("raw_text"))
def padded(text: str, width: int, label: str) -> str:
    return f"{label}:{text.rjust(width, '0')}"
