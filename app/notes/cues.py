"""Task cue levels: the graded support a client needed in a cooking session or a supported shop.

The scale follows the Executive Function Performance Test's cue levels. Its numbers are fixed
(0 is the most independent, 5 the least); a unit may word the labels its own way (``cue_labels``
table), but a 3 always means the same amount of help, so charts and summaries compare over time
and across units. Only level numbers and skill names are here, nothing from the EFPT manual.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Activity types whose notes carry a task cue section.
CUE_TYPES = ("cooking", "shopping")

LEVELS = range(6)
DEFAULT_LABELS: dict[int, str] = {
    0: "No cues",
    1: "Indirect verbal guidance",
    2: "Gestural guidance",
    3: "Direct verbal instruction",
    4: "Physical assistance",
    5: "Done for the client",
}
LABEL_LIMIT = 60


@dataclass(frozen=True)
class Skill:
    key: str
    name: str
    group: str = ""


OVERALL = Skill("overall", "Overall")
# The steps of planning, shopping for and cooking a meal, in the order they happen. Food hygiene
# is the Food Standards Agency's 4 Cs.
SKILLS: tuple[Skill, ...] = (
    OVERALL,
    Skill("planning", "Planning the meal"),
    Skill("budgeting", "Budgeting"),
    Skill("shopping", "Shopping"),
    Skill("hygiene_cleaning", "Cleaning", "Food hygiene (the 4 Cs)"),
    Skill("hygiene_cooking", "Cooking", "Food hygiene (the 4 Cs)"),
    Skill("hygiene_chilling", "Chilling", "Food hygiene (the 4 Cs)"),
    Skill("hygiene_cross_contamination", "Cross-contamination", "Food hygiene (the 4 Cs)"),
    Skill("storage", "Storage and use-by dates"),
    Skill("knife", "Safe use of knife"),
    Skill("hob_oven", "Safe use of hob/oven"),
    Skill("timing", "Timing"),
    Skill("clearing_up", "Clearing up"),
)
SKILL_BY_KEY: dict[str, Skill] = {s.key: s for s in SKILLS}


def full_name(skill: Skill) -> str:
    """'Food hygiene: cleaning' for a 4 Cs skill, else its own name."""
    return f"Food hygiene: {skill.name.lower()}" if skill.group else skill.name


def clean(levels: Mapping[str, object]) -> dict[str, int]:
    """Known skills with a level 0 to 5 only (ints or digit strings); anything else is dropped."""
    result = {}
    for key, value in levels.items():
        if key not in SKILL_BY_KEY:
            continue
        if isinstance(value, str) and len(value) == 1 and value in "012345":
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and value in LEVELS:
            result[key] = value
    return result


def ordered(levels: Mapping[str, int]) -> list[tuple[Skill, int]]:
    return [(s, levels[s.key]) for s in SKILLS if s.key in levels]


def encode(levels: Mapping[str, int]) -> str:
    return ",".join(f"{key}={level}" for key, level in sorted(clean(levels).items()))


def decode(text: str) -> dict[str, int]:
    return clean(dict(pair.split("=", 1) for pair in text.split(",") if "=" in pair))


def describe(levels: Mapping[str, int], labels: Mapping[int, str] | None = None) -> str:
    labels = labels or DEFAULT_LABELS
    return (
        "; ".join(f"{full_name(s)} {level} ({labels[level]})" for s, level in ordered(levels))
        or "Not rated"
    )


def labels_list(labels: Mapping[int, str]) -> Iterable[tuple[int, str]]:
    return [(level, labels.get(level, DEFAULT_LABELS[level])) for level in LEVELS]
