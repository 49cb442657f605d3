"""Report pages. URLs carry ids and dates only; titles never name the client.

Any clinical role (OT, assistant, lead) may produce a client's own timeline and MDT report;
statistics need a lead or an administrator. Administrators read no clinical text: on a client's
timeline they see outings only, and on a report the activity and community figures only (no
goals, MOHOST, formulation or recommendations). Every report produced writes an audit row.
"""

from datetime import timedelta

from flask import Response, abort, current_app, g, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.decorators import roles_required
from app.clients.models import Client
from app.core import clock
from app.core.csvsafe import to_csv
from app.core.htmx import render
from app.extensions import db
from app.notes import chart, cue_progress
from app.reports import bp, report, stats, timeline
from app.reports.forms import IssueForm, PeriodForm, StatisticsForm
from app.reports.models import IssuedReport

CLIENT_REPORT_ROLES = ("ot", "assistant", "lead", "admin")
DEFAULT_REPORT_DAYS = 91
DEFAULT_STATISTICS_DAYS = 364
CSV_LIMIT = 5000


def _client_or_404(client_id: int) -> Client:
    client = db.session.get(Client, client_id)
    if client is None or not current_user.can_access_unit(client.unit_id):
        abort(404)
    return client


def _clinical() -> bool:
    return current_user.has_role(*report.CLINICAL_READERS)


def _period_form(default_days: int, form_class=PeriodForm):
    """The period from the query string; with neither day given, the last ``default_days``."""
    args = request.args.copy()
    if not args.get("start", "").strip() and not args.get("end", "").strip():
        today = clock.london_today()
        args["start"] = (today - timedelta(days=default_days)).isoformat()
        args["end"] = today.isoformat()
    form = form_class(formdata=args)
    return form, form.validate()


def _commit_audit(kind: str, client: Client | None, unit_id: int, **facts) -> None:
    report.produced(kind, client, unit_id, **facts)
    db.session.commit()


# --- timeline ------------------------------------------------------------------------------


def _timeline_filters(client: Client):
    allowed = [k for k in timeline.KINDS if _clinical() or k not in timeline.CLINICAL_KINDS]
    chosen = [k for k in request.args.getlist("kind") if k in allowed] or allowed
    form = PeriodForm(formdata=request.args)
    form.validate()
    # Dates are optional on the timeline: a wrong one is an error, a missing one no limit.
    for name in ("start", "end"):
        if not request.args.get(name, "").strip():
            form[name].errors = []
    errors = any(form[name].errors for name in ("start", "end"))
    filters = timeline.Filters(
        frozenset(chosen),
        None if errors else form.start.data,
        None if errors else form.end.data,
    )
    return form, filters, allowed, errors


@bp.get("/clients/<id:client_id>/timeline")
@roles_required(*CLIENT_REPORT_ROLES)
def client_timeline(client_id: int):
    """Everything about a client, newest first, filtered by kind and date; 'Load more' pages by
    keyset (the ``before`` cursor), so new records never shift a page."""
    client = _client_or_404(client_id)
    form, filters, allowed, errors = _timeline_filters(client)
    cursor = timeline.Cursor.decode(request.args.get("before"))
    page = (
        timeline.Page([], None)
        if errors
        else timeline.page(client, filters, cursor, timeline.PAGE_SIZE)
    )
    if cursor is None:
        _commit_audit("timeline", client, client.unit_id)
    fragment = "reports/_timeline_rows.html" if cursor else "reports/_timeline.html"
    return render(
        "reports/timeline.html",
        fragment,
        status=422 if errors else 200,
        client=client,
        form=form,
        filters=filters,
        kind_items=[
            {"value": k, "text": timeline.KINDS[k], "checked": k in filters.kinds} for k in allowed
        ],
        page=page,
        cursor=cursor,
        clinical=_clinical(),
    )


@bp.get("/clients/<id:client_id>/timeline.csv")
@roles_required(*CLIENT_REPORT_ROLES)
def client_timeline_csv(client_id: int):
    """The filtered timeline as CSV (no client name; formula-safe cells)."""
    client = _client_or_404(client_id)
    form, filters, _, errors = _timeline_filters(client)
    if errors:
        abort(
            400,
            description="Check the dates: "
            + "; ".join(form[n].errors[0] for n in ("start", "end") if form[n].errors),
        )
    rows = timeline.all_rows(client, filters, CSV_LIMIT + 1)
    _commit_audit("timeline_csv", client, client.unit_id)
    lines = [[clock.format_datetime(r.at), r.kind_label, r.id, r.title, r.detail] for r in rows]
    if len(lines) > CSV_LIMIT:  # said in the file, never cut silently
        lines = [
            *lines[:CSV_LIMIT],
            ["", "", "", f"Only the newest {CSV_LIMIT} rows: narrow the dates", ""],
        ]
    body = to_csv(["when", "kind", "record", "what", "detail"], lines)
    return _csv_response(body, f"timeline-client-{client.id}.csv")


# --- the MDT / OT report -------------------------------------------------------------------


def _report_context(client: Client, form, issue_form=None) -> dict:
    ok = not any(form[n].errors for n in ("start", "end"))
    figures = report.figures(client, form.start.data, form.end.data, _clinical()) if ok else None
    can_issue = current_user.has_role(*report.ISSUERS)
    if ok and can_issue and issue_form is None:
        issue_form = IssueForm(formdata=None, data={"start": form.start.data, "end": form.end.data})
    return {
        "client": client,
        "form": form,
        "figures": figures,
        "issue_form": issue_form if can_issue and ok else None,
        "versions": report.versions(client, form.start.data, form.end.data) if ok else [],
        "clinical": _clinical(),
        "produced_at": clock.now(),
    }


@bp.get("/clients/<id:client_id>/report")
@roles_required(*CLIENT_REPORT_ROLES)
def client_report(client_id: int):
    """The MDT / OT report for a period: figures, then the OT's formulation to issue it."""
    client = _client_or_404(client_id)
    form, ok = _period_form(DEFAULT_REPORT_DAYS)
    context = _report_context(client, form)
    if ok:
        _commit_audit("mdt_html", client, client.unit_id, start=form.start.data, end=form.end.data)
    return render(
        "reports/report.html", "reports/_report.html", status=200 if ok else 422, **context
    )


@bp.post("/clients/<id:client_id>/report")
@roles_required(*report.ISSUERS)
def issue_report(client_id: int):
    """Issue (sign) the report: a new version, the earlier ones kept."""
    client = _client_or_404(client_id)
    issue_form = IssueForm()
    if not issue_form.validate_on_submit():
        form = PeriodForm(
            formdata=None, data={"start": issue_form.start.data, "end": issue_form.end.data}
        )
        form.validate()
        context = _report_context(client, form, issue_form)
        context["issue_form"] = issue_form
        return render("reports/report.html", "reports/_report.html", status=422, **context)
    issued = report.issue(
        client,
        issue_form.start.data,
        issue_form.end.data,
        issue_form.formulation.data,
        issue_form.recommendations.data,
        current_user._get_current_object(),
    )
    db.session.commit()
    return redirect(url_for("reports.issued", report_id=issued.id), 303)


def _pdf(html: str) -> bytes:
    from weasyprint import CSS, HTML

    css = CSS(filename=str(current_app.root_path + "/../static/css/report-print.css"))
    return HTML(string=html, base_url=request.url_root).write_pdf(stylesheets=[css])


def _pdf_response(pdf: bytes, name: str) -> Response:
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/clients/<id:client_id>/report.pdf")
@roles_required(*CLIENT_REPORT_ROLES)
def client_report_pdf(client_id: int):
    """The same report as a PDF, from the same template (marked as a draft: not issued)."""
    client = _client_or_404(client_id)
    form, ok = _period_form(DEFAULT_REPORT_DAYS)
    if not ok:
        return client_report(client_id)
    figures = report.figures(client, form.start.data, form.end.data, _clinical())
    html = render_template(
        "reports/report_pdf.html", figures=figures, issued=None, produced_at=clock.now()
    )
    _commit_audit("mdt_pdf", client, client.unit_id, start=form.start.data, end=form.end.data)
    return _pdf_response(_pdf(html), f"mdt-report-client-{client.id}-draft.pdf")


def _issued_or_404(report_id: int) -> IssuedReport:
    issued = db.session.get(IssuedReport, report_id)
    if issued is None or not current_user.can_access_unit(issued.unit_id):
        abort(404)
    return issued


def _issued_figures(issued: IssuedReport) -> dict:
    figures = dict(issued.figures)
    if not _clinical():
        figures["clinical"] = False
        figures.pop("goals", None)
        figures.pop("mohost", None)
    return figures


@bp.get("/issued/<id:report_id>")
@roles_required(*CLIENT_REPORT_ROLES)
def issued(report_id: int):
    """One issued version, as it was issued, with the other versions of the same period."""
    issued = _issued_or_404(report_id)
    client = issued.client
    _commit_audit("mdt_issued_html", client, issued.unit_id, version=issued.version)
    return render(
        "reports/issued.html",
        "reports/_issued.html",
        issued=issued,
        client=client,
        figures=_issued_figures(issued),
        versions=report.versions(client, issued.period_start, issued.period_end),
        clinical=_clinical(),
    )


@bp.get("/issued/<id:report_id>.pdf")
@roles_required(*CLIENT_REPORT_ROLES)
def issued_pdf(report_id: int):
    issued = _issued_or_404(report_id)
    html = render_template(
        "reports/report_pdf.html",
        figures=_issued_figures(issued),
        issued=issued,
        clinical=_clinical(),
    )
    _commit_audit("mdt_issued_pdf", issued.client, issued.unit_id, version=issued.version)
    name = f"mdt-report-client-{issued.client_id}-v{issued.version}.pdf"
    return _pdf_response(_pdf(html), name)


# --- statistics ----------------------------------------------------------------------------


def _statistics():
    form, ok = _period_form(DEFAULT_STATISTICS_DAYS, StatisticsForm)
    if not ok:
        return form, None
    return form, stats.unit_statistics(g.unit.id, form.period.data, form.start.data, form.end.data)


@bp.get("/statistics")
@roles_required("lead", "admin")
def statistics():
    """The current unit's activity by week or month, charts with tables, each table as CSV."""
    form, result = _statistics()
    charts, cooking_charts, huddle_charts = [], [], []
    if result is not None:
        labels = [b.label for b in result.buckets]
        charts = [
            chart.series_chart(
                "contacts", "Contacts", labels, [b.contacts for b in result.buckets], "contacts"
            ),
            chart.series_chart(
                "minutes",
                "Minutes in the community",
                labels,
                [b.minutes for b in result.buckets],
                "minutes",
            ),
        ]
        # Cue levels are ordinal: the median, plotted only for periods with a rated session.
        rated = [b for b in result.buckets if b.median_cue_level is not None]
        cooking_charts = [
            chart.series_chart(
                "cooking",
                "Median overall cue level of cooking sessions",
                [b.label for b in rated],
                [b.median_cue_level for b in rated],
                "(median cue level)",
            )
        ]
        huddle_charts = [
            chart.series_chart(
                "huddles",
                "Safety huddles held",
                labels,
                [b.huddles for b in result.buckets],
                "huddles",
            )
        ]
        _commit_audit(
            "statistics",
            None,
            g.unit.id,
            period=form.period.data,
            start=form.start.data,
            end=form.end.data,
        )
    return render(
        "reports/statistics.html",
        "reports/_statistics.html",
        status=200 if result is not None else 422,
        form=form,
        result=result,
        charts=charts,
        cooking_charts=cooking_charts,
        huddle_charts=huddle_charts,
        cue_labels=cue_progress.labels_for(g.unit.id),
        chart_size=chart.SIZE,
        unit=g.unit,
    )


@bp.get("/statistics.csv")
@roles_required("lead", "admin")
def statistics_csv():
    """One statistics table (``table``: periods, cooking, huddles, clients or staff) as CSV,
    formula-safe."""
    table = request.args.get("table", "periods")
    if table not in stats.TABLES:
        abort(404)
    form, result = _statistics()
    if result is None:
        abort(
            400,
            description="Check the period: the first and last day must be real dates, "
            "not in the future, at most 2 years apart.",
        )
    header, rows = stats.TABLES[table]
    _commit_audit(
        "statistics_csv", None, g.unit.id, table=table, start=form.start.data, end=form.end.data
    )
    name = f"statistics-{table}-{form.start.data}-{form.end.data}.csv"
    return _csv_response(to_csv(header, rows(result)), name)


def _csv_response(body: str, name: str) -> Response:
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
