"""The data stewards' start page (issue 17; docs/start-pages.md): rows waiting in the quarantine, record-match
pairs to review, contested records to decide, and records past retention (also for auditors, who check the
purge). Registered with ``casework.start`` from ``IntegrationsConfig.ready()``: casework does not import
integrations.

Each panel counts what the page it links to lists for the same person, with the same filter: the quarantine's
open rows, the review queue's open pairs, the contest queue's open contests, the retention report's "already
expired" row.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from casework import start
from casework.access import policy
from casework.start import Line, Panel, when
from integrations.feeds import contract
from integrations.feeds.reasons import readable
from integrations.models import (
    ContestStatus,
    PurgeRun,
    QuarantinedRow,
    QuarantineStatus,
    RecordContest,
    RecordType,
    ReviewPair,
    ReviewStatus,
)

# What each feed holds, in words (the feed's own name, which the bureaus' files use, is kept beside it).
FEED_NAMES = {
    "school.students": gettext_lazy("school rosters"),
    "school.absences": gettext_lazy("absences"),
    "school.dropouts": gettext_lazy("dropout reports"),
    "school.incidents": gettext_lazy("campus-safety reports"),
    "school.counselling": gettext_lazy("counselling tiers"),
    "police.contacts": gettext_lazy("police contacts"),
    "welfare.reports": gettext_lazy("child-protection and fragile-family reports"),
    "welfare.assistance": gettext_lazy("household assistance"),
    "court.sealing": gettext_lazy("court sealing notices"),
}

CHILD_PROTECTION = "child_protection"
URGENT_CAMPUS = "urgent_campus"
URGENT_FLAGS = {
    CHILD_PROTECTION: gettext_lazy("Child-protection report: 24-hour duty"),
    URGENT_CAMPUS: gettext_lazy("Urgent campus-safety report"),
}


def feed_name(feed: str) -> str:
    name = FEED_NAMES.get(feed)
    return f"{name} ({feed})" if name else feed


def urgency(row: QuarantinedRow) -> str:
    """Whether a quarantined row is a report with a statutory clock, read from what was received.

    A welfare report is a child-protection report (Art. 53: 24 hours) when its kind says so, and is taken to be
    one when its kind cannot be read (it may be: a typo must not file it with the fragile-family reports); a
    campus-safety report is urgent when its severity says so. Any other breach in the row (a mistyped birth
    date) does not change what the report is about."""
    if row.feed not in ("welfare.reports", "school.incidents"):
        return ""
    parsed = contract.validate_row(row.feed, row.raw or {})
    if row.feed == "welfare.reports":
        kind_broken = any(e.startswith("kind:") for e in parsed.errors)
        kind = parsed.values.get("kind")
        if kind == CHILD_PROTECTION or kind_broken or kind is None:
            return CHILD_PROTECTION
        return ""
    return URGENT_CAMPUS if parsed.values.get("severity") == "urgent" else ""


def _first_reason(row: QuarantinedRow) -> str:
    reasons = row.reasons or []
    return readable(str(reasons[0])) if reasons else ""


def quarantine_panel(user, now: dt.datetime) -> Panel:
    """Open rows (the quarantine page's default list), urgent reports first and one by one, then per feed."""
    rows = QuarantinedRow.objects.filter(status=QuarantineStatus.OPEN).select_related("batch")
    per_feed = Counter(rows.values_list("feed", flat=True))
    candidates = rows.filter(feed__in=("welfare.reports", "school.incidents")).order_by(
        "batch__received_at", "pk"
    )
    urgent = [(row, kind) for row in candidates if (kind := urgency(row))]
    lines = [
        Line(
            text=f"{row.feed} · {_('row %(n)s') % {'n': row.row_number}}",
            url=reverse("integrations:quarantine-detail", args=[row.pk]),
            when=when(row.batch.received_at),
            flag=str(URGENT_FLAGS[kind]),
            urgent=True,
            note=_first_reason(row),
        )
        for row, kind in urgent[: start.MAX_LINES]
    ]
    base = reverse("integrations:quarantine-list")
    for feed, n in sorted(per_feed.items(), key=lambda item: (-item[1], item[0])):
        lines.append(
            Line(
                text=feed_name(feed),
                url=f"{base}?{start.query_string(status=QuarantineStatus.OPEN, feed=feed)}",
                note=ngettext("%(n)s row waiting", "%(n)s rows waiting", n) % {"n": n},
            )
        )
    protection = sum(1 for _row, kind in urgent if kind == CHILD_PROTECTION)
    campus = len(urgent) - protection
    summary = []
    if protection:
        summary.append(
            ngettext(
                "%(n)s of them is a child-protection report: fix it first, the bureau's 24-hour duty runs.",
                "%(n)s of them are child-protection reports: fix them first, the bureau's 24-hour duty runs.",
                protection,
            )
            % {"n": protection}
        )
    if campus:
        summary.append(
            ngettext(
                "%(n)s of them is an urgent campus-safety report.",
                "%(n)s of them are urgent campus-safety reports.",
                campus,
            )
            % {"n": campus}
        )
    return Panel(
        key="quarantine",
        title=_("Rows waiting in the quarantine"),
        why=_(
            "Rows that broke the feed contract wait for a data steward to fix and resubmit them; until then "
            "the record is missing from every youth's timeline."
        ),
        url=f"{base}?{start.query_string(status=QuarantineStatus.OPEN)}",
        link_text=_("Open the quarantine"),
        count=sum(per_feed.values()),
        empty=_("No rows waiting in the quarantine."),
        lines=tuple(lines),
        warning=" ".join(summary),
        urgent=bool(urgent),
        names_records=True,
        lines_are_rows=False,
    )


def review_panel(user, now: dt.datetime) -> Panel:
    """Open pairs, as the review queue lists them (likeliest first)."""
    pairs = ReviewPair.objects.filter(status=ReviewStatus.OPEN)
    shown = list(pairs.order_by("-match_probability", "id")[: start.MAX_LINES])
    return Panel(
        key="review_pairs",
        title=_("Record-match pairs to review"),
        why=_(
            "The linkage model could not decide whether these two records are one person; a data steward "
            "decides, and every relink keeps the decision."
        ),
        url=f"{reverse('integrations:review-list')}?{start.query_string(status=ReviewStatus.OPEN)}",
        link_text=_("Open the review queue"),
        count=pairs.count(),
        empty=_("No pairs waiting."),
        lines=tuple(
            Line(
                text=f"{p.left_feed}:{p.left_key} ~ {p.right_feed}:{p.right_key}",
                url=reverse("integrations:review-detail", args=[p.pk]),
                when=when(p.created_at),
                note=_("match probability %(p)s %%") % {"p": f"{p.match_probability * 100:.0f}"},
            )
            for p in shown
        ),
        names_records=True,
    )


def contests_panel(user, now: dt.datetime) -> Panel:
    """Open contests, as the contest queue lists them (oldest first)."""
    contests = RecordContest.objects.filter(status=ContestStatus.OPEN).select_related("event__youth")
    shown = list(contests.order_by("filed_at", "id")[: start.MAX_LINES])
    return Panel(
        key="contests",
        title=_("Contested records to decide"),
        why=_(
            "A youth or guardian says a record is wrong and their worker filed it; a data steward corrects it, "
            "adds their note beside it, or keeps it and says why."
        ),
        url=f"{reverse('integrations:corrections-queue')}?{start.query_string(status=ContestStatus.OPEN)}",
        link_text=_("Open the contested records"),
        count=contests.count(),
        empty=_("No contests waiting."),
        lines=tuple(
            Line(
                text=f"{c.event.youth.public_id} · {c.event.get_kind_display()}",
                url=reverse("integrations:contest-decide", args=[c.pk]),
                when=when(c.filed_at),
                note=c.get_part_display(),
            )
            for c in shown
        ),
        youth_ids=tuple(c.event.youth.public_id for c in shown),
        names_records=True,
    )


def retention_panel(user, now: dt.datetime) -> Panel:
    """Records already past their retention period: the retention report's "already expired" row."""
    from integrations.retention import services as retention_services

    today = timezone.localdate(now)
    due, _held = retention_services.due_records(until=today)
    by_type = Counter(d.record_type for d in due)
    lines = [
        Line(text=str(RecordType(t).label), note=ngettext("%(n)s record", "%(n)s records", n) % {"n": n})
        for t, n in sorted(by_type.items())
    ]
    last = PurgeRun.objects.order_by("-started_at", "-id").first()
    if last is None:
        summary = _("The nightly purge has not run yet.")
    else:
        summary = _("Last purge: %(when)s, %(status)s.") % {
            "when": when(last.started_at),
            "status": last.get_status_display(),
        }
    if policy.can_steward_data(user):
        why = _(
            "Data stewards run the purge: what is past its retention period goes at the next nightly run, "
            "unless an open case, referral, alert or contest holds it."
        )
    else:
        why = _(
            "Auditors check the purge: what is past its retention period should be gone after the next run."
        )
    return Panel(
        key="retention",
        title=_("Records past retention"),
        why=why,
        url=reverse("integrations:retention-report"),
        link_text=_("Open the retention report"),
        count=len(due),
        empty=_("Nothing is past its retention period."),
        lines=tuple(lines),
        summary=summary,
        lines_are_rows=False,
    )


def register() -> None:
    start.register("quarantine", order=30, shown_to=policy.can_steward_data, build=quarantine_panel)
    start.register("review_pairs", order=31, shown_to=policy.can_steward_data, build=review_panel)
    start.register("contests", order=32, shown_to=policy.can_decide_contests, build=contests_panel)
    start.register("retention", order=33, shown_to=policy.can_read_retention_report, build=retention_panel)
