"""Supervisor reports: selectors that read caseloads, alert deadlines and overrides of the model, and the one
way any page, export or API publishes a count of young people (:func:`publish`).

Each selector starts from a ``casework.access.policy`` queryset for the user asking, narrows it to one bureau the
user supervises (any other bureau raises ``PermissionDenied``), and returns plain dicts and lists (no model
instances, no formatting), so the figures can be tested against hand-built data and shown by any page.
Counts of young people by group (the overrides of the model) come back already published: rounded to a
multiple of 5 so that no cell can be worked out from the others, nor from another period's figures (see
"Publishing counts" below and ``docs/privacy.md``). Presentation belongs to the views
(``casework.reports.views``); the exports (``casework.exports.views``) read the same published figures.

Dates are Taipei calendar dates whatever the server's zone, as deadlines are (``casework.triage.alerting``).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.access import policy
from casework.clock import TAIPEI
from casework.models import (
    ACTIVE_ALERT_STATUSES,
    OPEN_CASE_STATUSES,
    AlertRule,
    Bureau,
    CaseStatus,
    Intervention,
    ReferralStatus,
    RiskBand,
    Sex,
    TriageDecision,
    TriageDecisionKind,
    TriageReason,
    User,
)
from casework.reports.suppression import (
    ROUNDING_BASE,
    Release,
    cell_key,
    published_rate,
    records_key,
)

DEFAULT_PERIOD_DAYS = 90
# A case with no intervention logged for this many days has gone quiet.
QUIET_DAYS = 30
# The committee must decide on a referral within 14 days (Juvenile Justice Act): older ones stand out.
REFERRAL_DECISION_DAYS = 14
ALERT_SOON_HOURS = 24
LATEST_OVERRIDES = 50


def taipei_today(now: dt.datetime | None = None) -> dt.date:
    """Today's date in Taipei."""
    return timezone.localtime(now or timezone.now(), TAIPEI).date()


def taipei_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment, TAIPEI).date()


@dataclass(frozen=True)
class Period:
    """A run of Taipei calendar days, both ends included."""

    start: dt.date
    end: dt.date

    @classmethod
    def last_days(cls, days: int = DEFAULT_PERIOD_DAYS, *, today: dt.date | None = None) -> Period:
        """The ``days`` days up to and including today."""
        end = today or taipei_today()
        return cls(start=end - dt.timedelta(days=days - 1), end=end)

    @property
    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The moments the period starts and ends (midnight in Taipei; the end is excluded)."""
        return (
            dt.datetime.combine(self.start, dt.time.min, tzinfo=TAIPEI),
            dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=TAIPEI),
        )

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def filter(self, queryset: QuerySet, field: str = "created_at") -> QuerySet:
        start, end = self.bounds
        return queryset.filter(**{f"{field}__gte": start, f"{field}__lt": end})


def supervised_bureaus(user) -> list[Bureau]:
    """The bureaus whose reports the user may read: those they supervise, in code order."""
    return list(
        Bureau.objects.filter(pk__in=policy.principal_for(user).supervisor_bureau_ids).order_by("code")
    )


def _supervised(user, bureau: Bureau) -> Bureau:
    """Every selector reads one bureau's figures only for a supervisor of that bureau."""
    if bureau.pk not in policy.principal_for(user).supervisor_bureau_ids:
        raise PermissionDenied
    return bureau


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _person(user: User) -> str:
    return user.get_full_name() or user.get_username()


# ---------------------------------------------------------------------------------------------------------
# Caseload and deadlines
# ---------------------------------------------------------------------------------------------------------

CASELOAD_FIGURES = (
    "open",
    "monitoring_served",
    "steps_overdue",
    "quiet",
    "referrals_pending",
    "referrals_late",
    "alerts_due_soon",
    "alerts_overdue",
)


def _caseload_row(user_id: int | None, name: str, *, member: bool) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "name": name,
        "member": member,
        "by_status": dict.fromkeys(OPEN_CASE_STATUSES, 0),
        **dict.fromkeys(CASELOAD_FIGURES, 0),
        "referrals_oldest_days": None,
    }


def caseload(
    user, *, bureau: Bureau, today: dt.date | None = None, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Each worker's open cases and deadlines in one bureau, with a row for work nobody has taken and the team.

    Per worker (the case's assignee; the named receiver of a referral; the worker who acknowledged an alert):

    - ``by_status`` and ``open``: open cases by status;
    - ``monitoring_served``: cases in monitoring whose monitoring period has ended (six months or the 18th
      birthday, ``Case.monitoring_complete_on``), so they should close or go back to intervention;
    - ``steps_overdue``: open cases whose latest intervention's next step was due before today;
    - ``quiet``: open cases with no intervention for ``QUIET_DAYS`` days or more (counted from the case's
      opening when none was ever logged);
    - ``referrals_pending``, ``referrals_oldest_days``, ``referrals_late``: pending referrals received, the
      age in days of the oldest, and how many have waited ``REFERRAL_DECISION_DAYS`` days or more;
    - ``alerts_due_soon`` and ``alerts_overdue``: active alerts due within ``ALERT_SOON_HOURS`` hours, and
      past their deadline.
    """
    _supervised(user, bureau)
    now = now or timezone.now()
    today = today or taipei_today(now)
    rows: dict[int | None, dict[str, Any]] = {}
    for worker in policy.caseworkers_of([bureau.pk]).order_by("last_name", "first_name", "username"):
        rows[worker.pk] = _caseload_row(worker.pk, _person(worker), member=True)

    def row_for(user_id: int | None) -> dict[str, Any]:
        if user_id not in rows:
            rows[user_id] = _caseload_row(user_id, "", member=False)
        return rows[user_id]

    latest = Intervention.objects.filter(case=OuterRef("pk")).order_by("-occurred_on", "-id")
    cases = (
        policy.visible_cases(user)
        .filter(lead_bureau=bureau, status__in=OPEN_CASE_STATUSES)
        .select_related("youth")
        .only("id", "assignee_id", "status", "opened_at", "monitoring_since", "youth__birth_date")
        .annotate(
            latest_next_due=Subquery(latest.values("next_due")[:1]),
            latest_on=Subquery(latest.values("occurred_on")[:1]),
        )
        .order_by()
    )
    quiet_since = today - dt.timedelta(days=QUIET_DAYS)
    for case in cases:
        row = row_for(case.assignee_id)
        row["by_status"][case.status] += 1
        row["open"] += 1
        if case.status == CaseStatus.MONITORING:
            ends = case.monitoring_complete_on()
            row["monitoring_served"] += ends is not None and ends <= today
        if case.latest_next_due is not None and case.latest_next_due < today:
            row["steps_overdue"] += 1
        last = case.latest_on or taipei_date(case.opened_at)
        row["quiet"] += last <= quiet_since

    referrals = (
        policy.visible_referrals(user)
        .filter(to_bureau=bureau, status=ReferralStatus.PENDING)
        .values_list("to_user_id", "created_at")
        .order_by()
    )
    for to_user_id, created_at in referrals:
        row = row_for(to_user_id)
        age = (today - taipei_date(created_at)).days
        row["referrals_pending"] += 1
        row["referrals_late"] += age >= REFERRAL_DECISION_DAYS
        row["referrals_oldest_days"] = max(age, row["referrals_oldest_days"] or 0)

    alerts = (
        policy.visible_alerts(user)
        .filter(routed_to=bureau, status__in=ACTIVE_ALERT_STATUSES)
        .values_list("acknowledged_by_id", "due_at")
        .order_by()
    )
    soon = now + dt.timedelta(hours=ALERT_SOON_HOURS)
    for acknowledged_by_id, due in alerts:
        row = row_for(acknowledged_by_id)
        if due < now:
            row["alerts_overdue"] += 1
        elif due < soon:
            row["alerts_due_soon"] += 1

    others = [uid for uid, row in rows.items() if uid is not None and not row["member"]]
    for other in User.objects.filter(pk__in=others):
        rows[other.pk]["name"] = _person(other)
    unassigned = rows.pop(None, None) or _caseload_row(None, "", member=False)
    workers = sorted(rows.values(), key=lambda r: (not r["member"], r["name"]))
    return {
        "bureau_id": bureau.pk,
        "today": today,
        "statuses": [{"value": s, "label": str(CaseStatus(s).label)} for s in OPEN_CASE_STATUSES],
        "workers": workers,
        "unassigned": unassigned,
        "team": _caseload_total([*workers, unassigned], bureau),
    }


def _caseload_total(rows: Iterable[dict[str, Any]], bureau: Bureau) -> dict[str, Any]:
    total = _caseload_row(None, bureau.display_name, member=True)
    total["bureau_id"] = bureau.pk
    for row in rows:
        for status, n in row["by_status"].items():
            total["by_status"][status] += n
        for name in CASELOAD_FIGURES:
            total[name] += row[name]
        if row["referrals_oldest_days"] is not None:
            total["referrals_oldest_days"] = max(
                row["referrals_oldest_days"], total["referrals_oldest_days"] or 0
            )
    return total


# ---------------------------------------------------------------------------------------------------------
# Alert deadlines (SLAs)
# ---------------------------------------------------------------------------------------------------------


def alert_figures(alerts: Iterable[dict[str, Any]], *, now: dt.datetime) -> dict[str, Any]:
    """Deadline figures for a set of alerts (dicts with ``created_at``, ``due_at``, ``resolved_at``,
    ``escalated_at`` and ``status``).

    ``on_time_share`` counts the alerts decided by their deadline out of those whose outcome is known: decided,
    or still open past the deadline (already missed). Alerts still open within their deadline are not
    counted yet, so a busy week neither flatters nor spoils the share.
    """
    raised = decided = on_time = escalated = still_open = open_overdue = 0
    hours: list[float] = []
    for a in alerts:
        raised += 1
        escalated += a["escalated_at"] is not None
        if a["resolved_at"] is not None:
            decided += 1
            on_time += a["resolved_at"] <= a["due_at"]
            hours.append((a["resolved_at"] - a["created_at"]).total_seconds() / 3600)
        elif a["status"] in ACTIVE_ALERT_STATUSES:
            still_open += 1
            open_overdue += a["due_at"] < now
    settled = decided + open_overdue
    return {
        "raised": raised,
        "decided": decided,
        "on_time": on_time,
        "late": decided - on_time,
        "settled": settled,
        "on_time_share": _share(on_time, settled),
        "escalated": escalated,
        "still_open": still_open,
        "open_overdue": open_overdue,
        "median_hours": statistics.median(hours) if hours else None,
    }


ALERT_FIELDS = ("reason", "routed_to_id", "status", "created_at", "due_at", "resolved_at", "escalated_at")


def _alerts_in(user, bureau_ids: Iterable[int], period: Period) -> list[dict[str, Any]]:
    qs = policy.visible_alerts(user).filter(routed_to_id__in=list(bureau_ids))
    return list(period.filter(qs).values(*ALERT_FIELDS).order_by())


def alert_sla(user, *, bureau: Bureau, period: Period, now: dt.datetime | None = None) -> dict[str, Any]:
    """Per alert rule, the deadline figures (``alert_figures``) of the alerts raised for ``bureau`` in the period.

    Each rule shows its current name and deadline. Every current rule that routes to this kind of bureau
    has a row, even with no alerts; alerts raised under a reason with no rule keep the reason as their name.
    """
    _supervised(user, bureau)
    now = now or timezone.now()
    alerts = _alerts_in(user, [bureau.pk], period)
    by_reason: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in alerts:
        by_reason[a["reason"]].append(a)
    rules = {
        r.key: r
        for r in AlertRule.objects.filter(is_current=True)
        if r.key in by_reason or (r.enabled and bureau.kind in (r.route_to or []))
    }
    rows = []
    for key in sorted(set(rules) | set(by_reason)):
        rule = rules.get(key)
        rows.append(
            {
                "key": key,
                "name": rule.display_name if rule else key,
                "deadline_hours": rule.deadline_hours if rule else None,
                "deadline_days": rule.deadline_days if rule else None,
                **alert_figures(by_reason.get(key, []), now=now),
            }
        )
    return {"rules": rows, "total": alert_figures(alerts, now=now)}


def alert_sla_by_bureau(
    user, *, bureaus: Iterable[Bureau], period: Period, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """The deadline figures of the alerts raised in the period, one row per bureau."""
    now = now or timezone.now()
    bureaus = [_supervised(user, b) for b in bureaus]
    by_bureau: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for a in _alerts_in(user, [b.pk for b in bureaus], period):
        by_bureau[a["routed_to_id"]].append(a)
    return [
        {"bureau_id": b.pk, "code": b.code, "name": b.display_name, **alert_figures(by_bureau[b.pk], now=now)}
        for b in bureaus
    ]


# ---------------------------------------------------------------------------------------------------------
# Overrides of the model
# ---------------------------------------------------------------------------------------------------------


def triage_decisions(user, *, bureau: Bureau, period: Period) -> QuerySet[TriageDecision]:
    """The bureau's triage decisions made in the period, as the user may see them."""
    _supervised(user, bureau)
    return period.filter(policy.visible_triage_decisions(user).filter(bureau=bureau))


DECISION_RECORDS = "triage_decision"
GROUP_MIN_DECISIONS = 2 * ROUNDING_BASE
"""Breakdowns by group are published only for a period of at least this many decisions: in a period of one
or two decisions, even a rounded group count would say whose they are."""

# The breakdowns of the overrides, and the field of each on ``TriageDecision``.
BREAKDOWN_FIELDS = {
    "by_reason": "reason_code",
    "by_band": "band",
    "by_decision": "decision",
    "by_model": "model_version",
}
# Group attributes for the fairness view of overrides.
GROUP_FIELDS = {
    "sex": "youth__sex",
    "indigenous": "youth__fairness_attributes__indigenous",
    "new_immigrant_parent": "youth__fairness_attributes__new_immigrant_parent",
    "district": "youth__district",
}


def _group_labels(key: str, values: Iterable[Any]) -> list[tuple[Any, str]]:
    if key == "sex":
        return [(Sex.MALE, Sex.MALE.label), (Sex.FEMALE, Sex.FEMALE.label), (Sex.UNKNOWN, _("Not recorded"))]
    if key == "indigenous":
        return [(True, _("Indigenous")), (False, _("Not indigenous")), (None, _("Not recorded"))]
    if key == "new_immigrant_parent":
        return [
            (True, _("New-immigrant parent")),
            (False, _("No new-immigrant parent")),
            (None, _("Not recorded")),
        ]
    districts = sorted(v for v in values if v)
    return [*((d, d) for d in districts), ("", _("Not recorded"))]


def _tally_row(key: Any, label: str, ids: Sequence[int], override_ids: Sequence[int]) -> dict[str, Any]:
    return {
        "key": key,
        "label": str(label),
        "decisions": len(ids),
        "overrides": len(override_ids),
        "decision_ids": frozenset(ids),
        "override_ids": frozenset(override_ids),
    }


def _tally_rows(
    tally: Mapping[Any, tuple[list[int], list[int]]], labels: list[tuple[Any, str]], ever: Iterable[Any]
) -> list[dict[str, Any]]:
    """One row per labelled value, in the order given, then every value the bureau's decisions ever took that
    has no label: the rows do not change with the period, so a row's presence says nothing about it."""
    known = [value for value, _label in labels]
    labels = [*labels, *((v, str(v)) for v in sorted(set(ever) - set(known), key=str))]
    return [_tally_row(value, label, *tally.get(value, ((), ()))) for value, label in labels]


def override_counts(user, *, bureau: Bureau, period: Period) -> dict[str, Any]:
    """The true counts behind :func:`overrides`, with the ids of the decisions in each cell (the records a
    published count is keyed by). For publishing and for tests: never shown as they are.

    Returns ``{"total": row, "by_reason", "by_band", "by_decision", "by_model": [rows], "by_group": {key:
    [rows]}}``, each row ``{key, label, decisions, overrides, decision_ids, override_ids}``.
    """
    decisions = triage_decisions(user, bureau=bureau, period=period)
    fields = {**BREAKDOWN_FIELDS, **{f"group:{key}": path for key, path in GROUP_FIELDS.items()}}
    every = policy.visible_triage_decisions(user).filter(bureau=bureau).order_by()
    ever = {name: set(every.values_list(path, flat=True).distinct()) for name, path in fields.items()}
    tallies: dict[str, dict[Any, tuple[list[int], list[int]]]] = {name: {} for name in fields}
    ids: list[int] = []
    override_ids: list[int] = []
    for pk, is_override, *values in decisions.order_by().values_list("id", "is_override", *fields.values()):
        ids.append(pk)
        if is_override:
            override_ids.append(pk)
        for name, value in zip(fields, values, strict=True):
            cell = tallies[name].setdefault(value, ([], []))
            cell[0].append(pk)
            if is_override:
                cell[1].append(pk)
    bands = [(b.value, b.label) for b in reversed(RiskBand)] + [("", _("No score shown"))]
    versions = sorted((v for v in ever["by_model"] if v), reverse=True)
    labels = {
        "by_reason": TriageReason.choices,
        "by_band": bands,
        "by_decision": TriageDecisionKind.choices,
        "by_model": [*((v, v) for v in versions), ("", _("No model"))],
    }
    out: dict[str, Any] = {"total": _tally_row(None, "", ids, override_ids)}
    for name in BREAKDOWN_FIELDS:
        out[name] = _tally_rows(tallies[name], labels[name], ever[name])
    out["by_group"] = {
        key: _tally_rows(
            tallies[f"group:{key}"], _group_labels(key, ever[f"group:{key}"]), ever[f"group:{key}"]
        )
        for key in GROUP_FIELDS
    }
    return out


def publish_overrides(counts: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`override_counts` as it may be published: every count rounded (:class:`Release`), the rates
    computed from the rounded counts, and the breakdowns by group only for a period of at least
    ``GROUP_MIN_DECISIONS`` decisions (``groups_shown``). Rows are ``{key, label, decisions, overrides,
    rate}``.

    The release guards the breakdowns by group against a reader who knows the period's exact numbers of
    decisions and overrides (a supervisor can count them on the triage pages), and every breakdown against a
    reader of the figures alone (a copy of the export). A breakdown that could not be published without
    pinning a cell is left out (it has never happened in the tests; see ``Release``).
    """
    total = counts["total"]
    groups_shown = total["decisions"] >= GROUP_MIN_DECISIONS
    sections = [(name, counts[name]) for name in BREAKDOWN_FIELDS]
    if groups_shown:
        sections += [(f"group:{key}", rows) for key, rows in counts["by_group"].items()]
    release = Release()
    publication = records_key(DECISION_RECORDS, total["decision_ids"])

    def declare(section: str, row: Mapping[str, Any], *, required: bool = False) -> None:
        for column in ("decisions", "overrides"):
            ids = row["decision_ids" if column == "decisions" else "override_ids"]
            key = cell_key(DECISION_RECORDS, ids, publication)
            release.count((section, row["key"], column), row[column], key, required=required)
        release.at_most((section, row["key"], "overrides"), (section, row["key"], "decisions"))

    declare("total", total, required=True)
    for column in ("decisions", "overrides"):
        release.known(("counted", column), total[column])
    for section, rows in sections:
        for row in rows:
            declare(section, row)
        for column in ("decisions", "overrides"):
            parts = [(section, row["key"], column) for row in rows]
            release.adds_up([("total", None, column)], parts)
            if section.startswith("group:"):
                release.adds_up([("counted", column)], parts)
    shown = release.publish()

    def published(section: str, row: Mapping[str, Any]) -> dict[str, Any]:
        decisions, overrides = (
            shown[(section, row["key"], "decisions")],
            shown[(section, row["key"], "overrides")],
        )
        return {
            "key": row["key"],
            "label": row["label"],
            "decisions": decisions,
            "overrides": overrides,
            "rate": published_rate(overrides, decisions),
        }

    out: dict[str, Any] = {
        "total": {k: v for k, v in published("total", total).items() if k not in ("key", "label")},
        "groups_shown": groups_shown,
        "by_group": {},
    }
    for section, rows in sections:
        table = [published(section, r) for r in rows]
        if any(r["decisions"] is None or r["overrides"] is None for r in table):
            table = []
        if section.startswith("group:"):
            if table:
                out["by_group"][section.removeprefix("group:")] = table
        else:
            out[section] = table
    return out


def overrides(user, *, bureau: Bureau, period: Period) -> dict[str, Any]:
    """How often the bureau's decisions in the period went against the model, overall and broken down, as
    published: every count rounded to a multiple of 5 (see :func:`publish_overrides`).

    Every breakdown is a list of rows ``{key, label, decisions, overrides, rate}``: by reason code, band
    shown, decision, model version, and by group (sex, indigenous, new-immigrant parent, district; empty, with
    ``groups_shown`` false, for a period of fewer than ``GROUP_MIN_DECISIONS`` decisions). Group attributes
    are read for these aggregates only; no row of a youth carries them.
    """
    return publish_overrides(override_counts(user, bureau=bureau, period=period))


def override_total(user, *, bureau: Bureau, period: Period) -> dict[str, Any]:
    """The bureau's decisions in the period and how many were overrides, as :func:`overrides` publishes them
    (the same figures as on the overrides page for the same period): ``{decisions, overrides, rate}``."""
    return overrides(user, bureau=bureau, period=period)["total"]


def latest_overrides(
    user, *, bureau: Bureau, period: Period, limit: int = LATEST_OVERRIDES
) -> list[dict[str, Any]]:
    """The bureau's latest overrides in the period, newest first, for model review (no group attributes)."""
    rows = (
        triage_decisions(user, bureau=bureau, period=period)
        .filter(is_override=True)
        .select_related("youth", "decided_by")
        .order_by("-created_at", "-id")[:limit]
    )
    bands = dict(RiskBand.choices)
    return [
        {
            "id": d.pk,
            "created_at": d.created_at,
            "decided_by": _person(d.decided_by),
            "youth_public_id": d.youth.public_id,
            "band": d.band,
            "band_label": str(bands.get(d.band, d.band)),
            "score": d.score,
            "model_version": d.model_version,
            "decision": d.decision,
            "decision_label": d.get_decision_display(),
            "reason_code": d.reason_code,
            "reason_label": d.get_reason_code_display(),
            "note": d.note,
        }
        for d in rows
    ]
