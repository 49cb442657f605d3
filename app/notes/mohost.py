"""MOHOST (Model of Human Occupation Screening Tool): the 24 items and their scoring.

Only the item and section names are here. The manual's rating criteria are copyrighted and are
not reproduced anywhere in the app: OTs rate from their own training and copy of the manual.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    key: str
    name: str


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    short: str
    items: tuple[Item, ...]


def _items(*pairs: tuple[str, str]) -> tuple[Item, ...]:
    return tuple(Item(key, name) for key, name in pairs)


SECTIONS: tuple[Section, ...] = (
    Section(
        "motivation",
        "Motivation for occupation",
        "Motivation",
        _items(
            ("appraisal_of_ability", "Appraisal of ability"),
            ("expectation_of_success", "Expectation of success"),
            ("interest", "Interest"),
            ("choices", "Choices"),
        ),
    ),
    Section(
        "pattern",
        "Pattern of occupation",
        "Pattern",
        _items(
            ("routine", "Routine"),
            ("adaptability", "Adaptability"),
            ("roles", "Roles"),
            ("responsibility", "Responsibility"),
        ),
    ),
    Section(
        "communication",
        "Communication and interaction skills",
        "Communication",
        _items(
            ("non_verbal_skills", "Non-verbal skills"),
            ("conversation", "Conversation"),
            ("vocal_expression", "Vocal expression"),
            ("relationships", "Relationships"),
        ),
    ),
    Section(
        "process",
        "Process skills",
        "Process",
        _items(
            ("knowledge", "Knowledge"),
            ("timing", "Timing"),
            ("organisation", "Organisation"),
            ("problem_solving", "Problem-solving"),
        ),
    ),
    Section(
        "motor",
        "Motor skills",
        "Motor",
        _items(
            ("posture_and_mobility", "Posture and mobility"),
            ("coordination", "Co-ordination"),
            ("strength_and_effort", "Strength and effort"),
            ("energy", "Energy"),
        ),
    ),
    Section(
        "environment",
        "Environment",
        "Environment",
        _items(
            ("physical_space", "Physical space"),
            ("physical_resources", "Physical resources"),
            ("social_groups", "Social groups"),
            ("occupational_demands", "Occupational demands"),
        ),
    ),
)

ITEMS: dict[str, Item] = {item.key: item for section in SECTIONS for item in section.items}
SECTION_OF: dict[str, Section] = {
    item.key: section for section in SECTIONS for item in section.items
}

# Rating letter -> (what it means, score). F is the strongest support for participation.
RATINGS: dict[str, tuple[str, int]] = {
    "F": ("Facilitates", 4),
    "A": ("Allows", 3),
    "I": ("Inhibits", 2),
    "R": ("Restricts", 1),
}
ITEMS_PER_SECTION = 4
MAX_ITEM_SCORE = 4


def score(rating: str) -> int:
    return RATINGS[rating][1]


def meaning(rating: str) -> str:
    return RATINGS[rating][0]


@dataclass(frozen=True)
class Total:
    """A sum of item scores over the items that were rated."""

    total: int
    rated: int
    of: int

    @property
    def maximum(self) -> int:
        return self.of * MAX_ITEM_SCORE

    @property
    def complete(self) -> bool:
        return self.rated == self.of

    @property
    def average(self) -> float | None:
        """Mean item score (1 to 4), so partly rated totals can be compared; None if unrated."""
        return self.total / self.rated if self.rated else None

    @property
    def text(self) -> str:
        """'13 of 16' when every item is rated, else '7 (2 of 4 items rated)'."""
        if not self.rated:
            return "Not rated"
        if self.complete:
            return f"{self.total} of {self.maximum}"
        noun = "item" if self.of == 1 else "items"
        return f"{self.total} ({self.rated} of {self.of} {noun} rated)"


@dataclass(frozen=True)
class SectionTotal:
    section: Section
    total: Total


def clean(ratings: Mapping[str, str | None]) -> dict[str, str]:
    """Known items with a known rating only; anything else (including 'not rated') is dropped."""
    return {
        key: value
        for key, value in ratings.items()
        if key in ITEMS and isinstance(value, str) and value in RATINGS
    }


def section_totals(ratings: Mapping[str, str | None]) -> list[SectionTotal]:
    """One total per section, in the manual's order, over the items rated."""
    rated = clean(ratings)
    totals = []
    for section in SECTIONS:
        scores = [score(rated[i.key]) for i in section.items if i.key in rated]
        totals.append(SectionTotal(section, Total(sum(scores), len(scores), len(section.items))))
    return totals


def overall_total(ratings: Mapping[str, str | None]) -> Total:
    """The whole screen: 24 to 96 when every item is rated."""
    rated = clean(ratings)
    return Total(sum(score(r) for r in rated.values()), len(rated), len(ITEMS))


def rated_sections(ratings: Mapping[str, str | None]) -> Iterable[SectionTotal]:
    return [t for t in section_totals(ratings) if t.total.rated]
