"""The reports' forms: a period (GET, so a report's address can be shared within the team:
it carries ids and dates only) and the report's formulation and recommendations (POST)."""

from datetime import date, timedelta

from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import HiddenInput

from app.core import clock
from app.core.forms import DateField, FlaskForm, choices
from app.reports.stats import PERIODS

# A report or statistics over more than this is refused (two years, a leap day included).
MAX_RANGE = timedelta(days=731)
TEXT_LIMIT = 5000


def range_problems(start: date | None, end: date | None) -> dict[str, str]:
    """What is wrong with a period, field by field (empty when it is fine)."""
    problems: dict[str, str] = {}
    today = clock.london_today()
    if start is None:
        problems["start"] = "Enter the first day of the period, like 2026-09-01"
    elif start > today:
        problems["start"] = "The first day cannot be in the future"
    if end is None:
        problems["end"] = "Enter the last day of the period, like 2026-11-30"
    elif end > today:
        problems["end"] = "The last day cannot be in the future"
    if start and end and "start" not in problems and "end" not in problems:
        if start > end:
            problems["end"] = "The last day must be on or after the first day"
        elif end - start >= MAX_RANGE:
            problems["end"] = "The period can be at most 2 years"
    return problems


class _Range:
    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for name, message in range_problems(self.start.data, self.end.data).items():
            if not self[name].errors:
                self[name].errors = [*self[name].errors, message]
            ok = False
        return ok


class PeriodForm(_Range, FlaskForm):
    """A report's period, read from the query string."""

    class Meta:
        csrf = False

    start = DateField("From", description="For example, 2026-09-01")
    end = DateField("To", description="For example, 2026-11-30")


class StatisticsForm(_Range, FlaskForm):
    class Meta:
        csrf = False

    period = SelectField("Count by", choices=choices(PERIODS.items()), default="month")
    start = DateField("From", description="For example, 2025-12-01")
    end = DateField("To", description="For example, 2026-11-30")


class IssueForm(_Range, FlaskForm):
    """Issue the report: the OT's formulation and recommendations, signed with the figures."""

    start = DateField("From", widget=HiddenInput())
    end = DateField("To", widget=HiddenInput())
    formulation = TextAreaField(
        "OT formulation",
        validators=[
            DataRequired("Enter the OT formulation"),
            Length(max=TEXT_LIMIT, message=f"The formulation can be {TEXT_LIMIT} characters"),
        ],
        description="Your occupational formulation for the MDT, in your own words.",
    )
    recommendations = TextAreaField(
        "Recommendations",
        validators=[
            DataRequired("Enter your recommendations"),
            Length(max=TEXT_LIMIT, message=f"Recommendations can be {TEXT_LIMIT} characters"),
        ],
    )
