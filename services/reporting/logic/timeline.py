"""Every due date of an inspection's report, from its fieldwork week and the configured intervals."""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from services.reporting import models
from shared.errors import invalid
from shared.schemas.reports import Milestone, MilestoneName, Timeline


@dataclass(frozen=True)
class Intervals:
    draft_from_weeks: int
    draft_due_weeks: int
    publication_weeks: int
    improvement_plan_weeks: int
    reinspection_months: int
    reinspection_below: float


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day where it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _milestone(
    name: MilestoneName, due: date, done_at: datetime | None, now: datetime, due_from: date | None = None
) -> Milestone:
    return Milestone(name=name, due_from=due_from, due=due, done_at=done_at, overdue=done_at is None and now.date() > due)


def reinspection_due(report: models.Report | None, intervals: Intervals) -> bool:
    """A focused re-inspection follows where the published RoH thread score is below the threshold."""
    return (
        report is not None
        and report.status == "published"
        and report.roh_thread_score is not None
        and report.roh_thread_score < intervals.reinspection_below
    )


def timeline(
    inspection_id: UUID,
    fieldwork_start: date,
    fieldwork_end: date,
    report: models.Report | None,
    intervals: Intervals,
    now: datetime,
) -> Timeline:
    sent = report.sent_for_comment_at if report else None
    published = report.published_at if report and report.status == "published" else None
    publication_due = fieldwork_end + timedelta(weeks=intervals.publication_weeks)
    plan_from = published.date() if published else publication_due
    milestones = [
        _milestone(
            MilestoneName.draft_for_comment,
            fieldwork_end + timedelta(weeks=intervals.draft_due_weeks),
            sent,
            now,
            due_from=fieldwork_end + timedelta(weeks=intervals.draft_from_weeks),
        ),
        _milestone(MilestoneName.publication, publication_due, published, now),
        _milestone(
            MilestoneName.improvement_plan,
            plan_from + timedelta(weeks=intervals.improvement_plan_weeks),
            report.improvement_plan_at if report else None,
            now,
        ),
    ]
    if report is not None and reinspection_due(report, intervals):
        milestones.append(
            _milestone(
                MilestoneName.reinspection,
                add_months(fieldwork_start, intervals.reinspection_months),
                report.reinspection_at,
                now,
            )
        )
    return Timeline(
        inspection_id=inspection_id,
        fieldwork_start=fieldwork_start,
        fieldwork_end=fieldwork_end,
        as_of=now,
        milestones=milestones,
    )


def record_done(report: models.Report, name: MilestoneName, done_at: datetime, intervals: Intervals) -> None:
    """Record when a milestone the service cannot see for itself was done: the improvement plan, a re-inspection."""
    if name == MilestoneName.improvement_plan:
        report.improvement_plan_at = done_at
    elif name == MilestoneName.reinspection and reinspection_due(report, intervals):
        report.reinspection_at = done_at
    elif name == MilestoneName.reinspection:
        raise invalid("milestone", "no focused re-inspection is due for this inspection", location="path", type="not_due")
    else:
        raise invalid("milestone", f"{name} is done when the report is sent or published", location="path", type="derived")
