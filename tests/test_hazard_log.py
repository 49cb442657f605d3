"""The hazard log names the tests that prove each control: every named test must exist, so
evidence cannot be renamed or deleted without the log changing with it."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOG = ROOT / "docs" / "safety" / "hazard-log.md"
HAZARDS = (
    "An overdue worker is not escalated",
    "An escalation is late",
    "An alert is sent twice",
    "An SOS is not seen or not acknowledged",
    "A due time the worker did not mean",
    "A dead channel goes unnoticed",
    "A dead watcher goes unnoticed",
    "A lead is locked out",
    "A check-in is lost when the phone has no signal",
    "An SOS is believed sent but was not",
    "A check-in by text is spoofed by another number",
    "The duress PIN by text is missed or gives itself away",
)
NAMED = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")


def defined_tests(path: Path) -> set[str]:
    """The test functions a file defines (module level or in a Test class), read by AST."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names |= {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
    return {n for n in names if n.startswith("test")}


def sections(text: str, prefix: str = "LW") -> dict[str, str]:
    """The log's ``## <prefix>-n Title`` sections, title to body."""
    parts = re.split(rf"^## ({prefix}-\d+ .+)$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def assert_complete(prefix: str, hazards: tuple[str, ...]) -> None:
    """Each hazard has its section, with causes, controls, tests (naming one) and residual risk."""
    found = sections(LOG.read_text(), prefix)
    for hazard in hazards:
        title = next((t for t in found if hazard in t), None)
        assert title is not None, f"no section for {hazard!r}"
        body = found[title]
        for heading in (
            "**Causes.**",
            "**Controls in the code.**",
            "**Tests.**",
            "**Residual risk.**",
        ):
            assert heading in body, f"{title}: no {heading}"
        assert NAMED.search(body), f"{title}: names no test"


def test_every_test_the_hazard_log_names_exists():
    named = NAMED.findall(LOG.read_text())
    assert len(named) >= 40
    missing = [
        f"{file}::{name}"
        for file, name in named
        if not (ROOT / file).is_file() or name not in defined_tests(ROOT / file)
    ]
    assert missing == []


def test_every_lone_working_hazard_has_causes_controls_tests_and_a_residual_risk():
    assert_complete("LW", HAZARDS)


def test_the_check_finds_a_missing_test(tmp_path):
    sample = tmp_path / "test_sample.py"
    sample.write_text(
        "def test_here():\n    pass\n\nclass TestBox:\n    def test_inside(self):\n        pass\n"
    )
    assert defined_tests(sample) == {"test_here", "test_inside"}
    assert "test_gone" not in defined_tests(sample)


HUDDLE_HAZARDS = (
    "A silent overwrite between two phones",
    "An action lost between shifts",
    "A red flag not carried forward",
)


def test_every_huddle_hazard_has_causes_controls_tests_and_a_residual_risk():
    assert_complete("HU", HUDDLE_HAZARDS)


MEAL_HAZARDS = (
    "A cue level recorded or read as more or less independent than it was",
    "A tick or a shop trip recorded against the wrong client or week",
    "A budget or a spend misread or wrong",
    "A food-safety, allergy, knife or hob risk seen in cooking is not carried to the team",
)


def test_every_meal_and_cue_hazard_has_causes_controls_tests_and_a_residual_risk():
    assert_complete("MC", MEAL_HAZARDS)


REPORT_HAZARDS = (
    "An MDT report misstates the client's progress",
    "The timeline hides or repeats a record",
    "Clinical information reaches someone who should not have it",
)


def test_every_report_hazard_has_causes_controls_tests_and_a_residual_risk():
    assert_complete("RP", REPORT_HAZARDS)
