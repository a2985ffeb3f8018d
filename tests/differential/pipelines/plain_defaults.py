"""Parameters with defaults: an input that is not given takes the function's default."""

OUTPUTS = ["greeting"]
INPUTS = {"name": "Ada"}
AIRFLOW = True


def greeting(name: str, punctuation: str = "!") -> str:
    return f"Hello, {name}{punctuation}"
