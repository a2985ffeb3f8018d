"""pipe, the older name of pipe_input, chains the same transforms."""

from hamilton.function_modifiers import pipe, step

OUTPUTS = ["shout"]
INPUTS = {"message": "hello"}


def _upper(text: str) -> str:
    return text.upper()


def _exclaim(text: str, marks: int) -> str:
    return text + "!" * marks


@pipe(step(_upper), step(_exclaim, marks=2))
def shout(message: str) -> str:
    return f"<{message}>"
