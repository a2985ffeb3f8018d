"""check_output_custom with a user-written DataValidator: a warning one that fails and a failing one that passes."""

from hamilton.data_quality.base import DataValidator, ValidationResult
from hamilton.function_modifiers import check_output_custom

OUTPUTS = ["word_list"]
INPUTS = {"text": "to be or not to be"}


class _MaxLength(DataValidator):
    """Passes when the list has at most ``limit`` items."""

    def __init__(self, limit: int, importance: str):
        super().__init__(importance)
        self.limit = limit

    def applies_to(self, datatype: type) -> bool:
        return issubclass(datatype, list)

    def description(self) -> str:
        return f"at most {self.limit} items"

    @classmethod
    def name(cls) -> str:
        return "max_length"

    def validate(self, dataset: list) -> ValidationResult:
        passes = len(dataset) <= self.limit
        return ValidationResult(passes=passes, message=f"{len(dataset)} items", diagnostics={"n": len(dataset)})


@check_output_custom(_MaxLength(3, importance="warn"), _MaxLength(10, importance="fail"))
def word_list(text: str) -> list:
    return text.split()
