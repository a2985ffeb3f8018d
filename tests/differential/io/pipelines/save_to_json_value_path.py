"""@save_to.json of a dict; both the saved value and the saver metadata are requested."""

from hamilton.function_modifiers import save_to, source

OUTPUTS = ["report_json", "report"]
WRITES = ["report.json"]


def _prepare(folder):
    return {"report_path": str(folder / "report.json"), "counts": {"b": 2, "a": 1}}


@save_to.json(path=source("report_path"), output_name_="report_json")
def report(counts: dict) -> dict:
    return {"total": sum(counts.values()), "keys": sorted(counts)}
