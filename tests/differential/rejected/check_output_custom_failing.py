"""A custom DataValidator with importance="fail" that fails stops the run with DataValidationError."""

from hamilton.data_quality.base import DataValidator, ValidationResult
from hamilton.function_modifiers import check_output_custom

OUTPUTS = ["word_list"]
INPUTS = {"text": "to be or not to be"}
ERROR = "DataValidationError"
SAME_ERROR = True


class _NoDuplicates(DataValidator):
    """Passes when no item repeats."""

    def applies_to(self, datatype: type) -> bool:
        return issubclass(datatype, list)

    def description(self) -> str:
        return "no repeated items"

    @classmethod
    def name(cls) -> str:
        return "no_duplicates"

    def validate(self, dataset: list) -> ValidationResult:
        return ValidationResult(passes=len(set(dataset)) == len(dataset), message="repeated items")


@check_output_custom(_NoDuplicates(importance="fail"))
def word_list(text: str) -> list:
    return text.split()
