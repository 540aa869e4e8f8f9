"""Supervisor reports: selectors that read caseloads, alert deadlines and overrides of the model, and the one
way any page, export or API publishes a count of young people (:func:`publish`).

Each selector starts from a ``casework.access.policy`` queryset for the user asking, narrows it to one bureau the
user supervises (any other bureau raises ``PermissionDenied``), and returns plain dicts and lists (no model
instances, no formatting), so the figures can be tested against hand-built data and shown by any page.
Counts of young people by group (the overrides of the model) come back already published: rounded to a
multiple of 5 so that no cell can be worked out from the others, nor from another period's figures (see
"Publishing counts" below and ``docs/privacy.md``). Presentation belongs to the views
(``casework.views_reports``); the exports (``casework.exports.views``) read the same published figures.

Dates are Taipei calendar dates whatever the server's zone, as deadlines are (``casework.triage.alerting``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import statistics
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.crypto import salted_hmac
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
# Publishing counts of young people: keyed random rounding to base 5
# ---------------------------------------------------------------------------------------------------------
#
# Why rounding rather than "<5" with complementary suppression: a supervisor chooses the period, and two
# periods that differ by one decision give two tables whose exact cells differ by one, in the row of that
# decision's group. Suppression hides small cells within one table but leaves the large ones exact, so the
# difference of two tables still names the group ("not indigenous" read 14 in both periods: the new decision was
# not in it). Rounding every published count, totals included, leaves no exact figure to subtract. The draw is
# fixed by the records counted, so asking again gives the same figure and cannot be averaged away.
# docs/privacy.md ("Counts of young people") gives the argument and what it does not defeat.

ROUNDING_BASE = 5
"""Every published count of young people (or of decisions about them) is a multiple of this."""
RATE_MIN_BASE = 2 * ROUNDING_BASE
"""A share is published only when its published denominator is at least this; below it rounding decides it."""
_UNBOUNDED = 10**12


@dataclass(frozen=True)
class Cell:
    """A true count and the key of what it counts; never shown as it is, only as :meth:`Release.publish` rounds it.

    The key names the records counted (:func:`records_key`) or, for a fixed table such as a model's audit, the
    table and the cell. The same records therefore always publish the same figure: asking again, or asking
    about another period that holds the same records, gives the same answer."""

    n: int
    key: str


def records_key(kind: str, ids: Iterable[int]) -> str:
    """The key of a count of records of one kind (e.g. ``"triage_decision"``): a digest of their ids."""
    digest = hashlib.sha256(",".join(str(i) for i in sorted(ids)).encode()).hexdigest()
    return f"{kind}:{digest}"


def cell_key(kind: str, ids: Iterable[int], publication: str) -> str:
    """The key a cell's rounding is drawn from: its own records and every record of the publication. The same
    publication always rounds the same way (repeating a query averages nothing out), and any change to it
    (one more decision in the period) redraws every cell, so that a reader who compares two publications
    cannot tell the group of the added record from which cells moved: cells it is not in may move too."""
    return f"{records_key(kind, ids)}|{publication}"


def _draw(key: str) -> float:
    """A number in [0, 1) fixed by the key and the server's secret key, so nobody can predict it."""
    digest = salted_hmac("casework.reports.publish", key, algorithm="sha256").digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def rounded(cell: Cell, *, flipped: bool = False) -> int:
    """The count rounded to a multiple of ``ROUNDING_BASE``: up with probability (count mod 5) / 5, so that on
    average it is the count itself (unbiased random rounding), the draw fixed by the cell's key. Multiples of
    5, zero among them, stay as they are. ``flipped`` rounds the other way."""
    rest = cell.n % ROUNDING_BASE
    if rest == 0:
        return cell.n
    up = (_draw(cell.key) < rest / ROUNDING_BASE) != flipped
    return cell.n - rest + (ROUNDING_BASE if up else 0)


def possible_counts(published: int) -> tuple[int, int]:
    """The true counts a published count may stand for: 0 for 0 to 4, 5 for 1 to 9, 10 for 6 to 14."""
    return max(0, published - ROUNDING_BASE + 1), published + ROUNDING_BASE - 1


def published_rate(part: int | None, whole: int | None) -> float | None:
    """A share computed from published counts, so it tells nothing they do not; ``None`` (not shown) when the
    published denominator is below ``RATE_MIN_BASE``. Rounded on its own, a part can exceed its whole by 5: the
    share then reads 100%."""
    if part is None or whole is None or whole < RATE_MIN_BASE:
        return None
    return min(1.0, part / whole)


@dataclass
class Release:
    """The counts of one publication and what ties them together, published by :meth:`publish`.

    A reader who knows that a breakdown's cells add up to its total, or that overrides are some of the
    decisions, can narrow what each rounded count stands for, and now and then (when several roundings went
    the same way) pin a cell to one value. :meth:`publish` rounds every cell, works out what a reader can infer
    from the published counts and the ties declared (:meth:`adds_up`, :meth:`at_most`, figures the reader knows
    exactly from elsewhere with :meth:`known`, quantities the reader cannot see but can bound with
    :meth:`unseen`), and wherever a cell would be pinned rounds a cell tied to it the other way (still the true
    count rounded, up or down) if that frees it. A cell that no such turn frees is withheld (``None``), or, for
    a cell that must be published (``required``), the cells tied to it.
    """

    cells: dict[Hashable, Cell] = field(default_factory=dict)
    exact: dict[Hashable, int] = field(default_factory=dict)
    bounded: dict[Hashable, tuple[int, int]] = field(default_factory=dict)
    sums: list[tuple[tuple[Hashable, ...], tuple[Hashable, ...]]] = field(default_factory=list)
    orders: list[tuple[Hashable, Hashable]] = field(default_factory=list)
    required: set[Hashable] = field(default_factory=set)

    def count(self, name: Hashable, n: int, key: str, *, required: bool = False) -> None:
        """A count to publish; a ``required`` one is never withheld."""
        self.cells[name] = Cell(int(n), key)
        if required:
            self.required.add(name)

    def known(self, name: Hashable, n: int) -> None:
        """A figure the reader knows exactly (published elsewhere, or countable by them); not published here."""
        self.exact[name] = int(n)

    def unseen(self, name: Hashable, low: int, high: int) -> None:
        """A quantity not published whose bounds the reader knows."""
        self.bounded[name] = (int(low), int(high))

    def adds_up(self, totals: Sequence[Hashable], parts: Sequence[Hashable]) -> None:
        """The parts add up to the total (a list of one name, or of several whose sum it is)."""
        self.sums.append((tuple(totals), tuple(parts)))

    def at_most(self, part: Hashable, whole: Hashable) -> None:
        """One count is never more than another (overrides are some of the decisions)."""
        self.orders.append((part, whole))

    def publish(self) -> dict[Hashable, int | None]:
        """Every cell rounded so that no cell, nor an unseen quantity, is pinned to one value by the others."""
        # What the ties and the known figures tell before anything is published here (when a known total is
        # 0, every cell is 0 whatever is published): no pin to guard against there.
        free_before = {name for name, (low, high) in self.inferable({}).items() if low < high}
        flipped: frozenset[Hashable] = frozenset()
        withheld: set[Hashable] = set()
        shown, pinned = self._attempt(flipped, withheld, free_before)
        while pinned:
            tied = self._tied(pinned[0])
            candidates = list(dict.fromkeys(name for pin in pinned for name in self._tied(pin)))
            best = None
            for name in candidates:
                if name not in self.cells or name in withheld or not self.cells[name].n % ROUNDING_BASE:
                    continue
                trial = flipped ^ {name}
                _shown, still = self._attempt(trial, withheld, free_before)
                if len(still) < len(pinned) and (best is None or len(still) < best[1]):
                    best = (trial, len(still))
            if best is not None:
                flipped = best[0]
            else:
                hide = [pinned[0]] if pinned[0] in self.cells and pinned[0] not in self.required else []
                hide = hide or [
                    n for n in tied if n in self.cells and n not in self.required and n not in withheld
                ]
                if not hide:  # pinned by figures known elsewhere: nothing published here can help
                    break
                withheld.update(hide)
            shown, pinned = self._attempt(flipped, withheld, free_before)
        return {name: shown.get(name) for name in self.cells}

    def _attempt(self, flipped: frozenset, withheld: set, free_before: set) -> tuple[dict, list]:
        shown = {
            name: rounded(cell, flipped=name in flipped)
            for name, cell in self.cells.items()
            if name not in withheld
        }
        bounds = self.inferable(shown)
        pinned = [
            name
            for name in (*self.cells, *self.bounded)
            if name in free_before and name not in withheld and bounds[name][0] == bounds[name][1]
        ]
        return shown, pinned

    def inferable(self, shown: Mapping[Hashable, int | None]) -> dict[Hashable, tuple[int, int]]:
        """What a reader of ``shown`` (None or missing: withheld) can infer of every quantity: the least and
        greatest true value consistent with the published counts and the ties (bounds propagation to a fixed
        point; exact for breakdowns that share one total, an outer bound for other shapes)."""
        low: dict[Hashable, int] = {}
        high: dict[Hashable, int] = {}
        for name in self.cells:
            value = shown.get(name)
            low[name], high[name] = (0, _UNBOUNDED) if value is None else possible_counts(value)
        for name, n in self.exact.items():
            low[name] = high[name] = n
        for name, (a, b) in self.bounded.items():
            low[name], high[name] = a, b
        signed = [[(name, 1) for name in left] + [(name, -1) for name in right] for left, right in self.sums]
        for _round in range(100):
            changed = False
            for terms in signed:
                # Each signed term is minus the sum of the others.
                sum_low = sum(low[o] if s > 0 else -high[o] for o, s in terms)
                sum_high = sum(high[o] if s > 0 else -low[o] for o, s in terms)
                for name, sign in terms:
                    rest_low = sum_low - (low[name] if sign > 0 else -high[name])
                    rest_high = sum_high - (high[name] if sign > 0 else -low[name])
                    a, b = (-rest_high, -rest_low) if sign > 0 else (rest_low, rest_high)
                    if a > low[name] or b < high[name]:
                        low[name], high[name] = max(low[name], a), min(high[name], b)
                        changed = True
            for part, whole in self.orders:
                if high[part] > high[whole] or low[whole] < low[part]:
                    high[part], low[whole] = min(high[part], high[whole]), max(low[whole], low[part])
                    changed = True
            if not changed:
                break
        return {name: (low[name], high[name]) for name in low}

    def _tied(self, name: Hashable) -> list[Hashable]:
        """The name, then every quantity in a sum or order with it (in the order declared)."""
        out = [name]
        for left, right in self.sums:
            if name in left or name in right:
                out += [o for o in (*left, *right) if o not in out]
        for part, whole in self.orders:
            if name in (part, whole):
                out += [o for o in (part, whole) if o not in out]
        return out


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
