"""check_output with target_ validates one field that extract_fields produced, leaving the others alone."""

from hamilton.function_modifiers import check_output, extract_fields

OUTPUTS = ["minimum", "maximum", "limits"]
INPUTS = {"values": [3, 9, 4]}


@check_output(range=(0, 100), importance="fail", target_="maximum")
@check_output(range=(5, 6), importance="warn", target_="minimum")
@extract_fields({"minimum": int, "maximum": int})
def limits(values: list) -> dict:
    return {"minimum": min(values), "maximum": max(values)}
