"""parameterize_values: the shorthand for parameterize with literal values only."""

from hamilton.function_modifiers import parameterize_values

OUTPUTS = ["greeting_en", "greeting_fr"]
INPUTS = {"name": "Lin"}


@parameterize_values(
    parameter="word",
    assigned_output={("greeting_en", "English greeting"): "Hello", ("greeting_fr", "French greeting"): "Bonjour"},
)
def greeting(name: str, word: str) -> str:
    return f"{word} {name}"
