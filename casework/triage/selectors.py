"""Reads behind the triage pages: the queue with each youth's latest score, the reasons a viewer may read,
deadlines in words, and the alert-rule catalogue.

Every youth-bearing queryset here starts from ``casework.access.policy``; these functions only narrow, annotate and
order what policy already allows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    CharField,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models import Case as CaseWhen
from django.utils import timezone
from django.utils.translation import get_language, gettext, ngettext

from casework.access import policy
from casework.clock import TAIPEI, taipei_today
from casework.models import (
    ACTIVE_ALERT_STATUSES,
    DUTY_RANK,
    Alert,
    AlertRule,
    AlertStatus,
    Bureau,
    Enrollment,
    RiskScore,
    School,
    StatutoryDuty,
    Youth,
)

TOP_REASONS = 3
# Deadlines further away than this are told in days, nearer ones in hours.
HOURS_UNTIL_DAYS = 48

# Whether scores may be shown, asked of the app that scores (``riskmodel`` registers the answer in its
# ``AppConfig.ready``), so that casework, the ground floor, imports nothing above it. The scoring app says no
# when it has models but none is active (the promotion gate refused them): the queue then shows no score at
# all rather than an old or meaningless one.
_scores_shown: Callable[[], bool] | None = None


def register_scores_shown(answer: Callable[[], bool]) -> None:
    """Let the scoring app say whether the queue may show scores now."""
    global _scores_shown
    _scores_shown = answer


def scores_shown() -> bool:
    """Whether the queue shows scores (yes when no scoring app is installed to say otherwise)."""
    return _scores_shown is None or bool(_scores_shown())


def _latest_score(youth_ref: str = "youth_id") -> QuerySet[RiskScore]:
    # The score a worker sees on the youth page: the newest scoring run (as latest_score orders it).
    return RiskScore.objects.filter(youth_id=OuterRef(youth_ref)).order_by("-as_of", "-scored_at")


def current_enrollments(day: dt.date) -> QuerySet[Enrollment]:
    return Enrollment.objects.filter(
        Q(enrolled_on__isnull=True) | Q(enrolled_on__lte=day),
        Q(left_on__isnull=True) | Q(left_on__gt=day),
    )


def with_latest_score(alerts: QuerySet[Alert]) -> QuerySet[Alert]:
    """Annotate each alert with its youth's latest score (one subquery per column; SQLite and PostgreSQL)."""
    latest = _latest_score()
    return alerts.annotate(
        latest_score_id=Subquery(latest.values("pk")[:1]),
        latest_score=Subquery(latest.values("score")[:1]),
        latest_band=Subquery(latest.values("band")[:1]),
        latest_rank=Subquery(latest.values("rank")[:1]),
    )


def triage_queue(
    user, bureau: Bureau, *, now: dt.datetime | None = None, with_scores: bool = True
) -> QuerySet[Alert]:
    """The active alerts routed to ``bureau`` that the user may see, most urgent first: the most severe legal
    duty (24-hour child protection, a missing child, the 14-day exposure decision, then everything else), then
    the nearest deadline (overdue ones first), then the highest latest score (unscored youth last). Without scores (no active model, or
    a viewer who sees no scores: ``policy.sees_model_scores``) the score plays no part in the order, which is
    then the deadline and the time the alert arrived: an order by score would tell what the score hides."""
    with_scores = with_scores and policy.sees_model_scores(user)
    now = now or timezone.now()
    today = now.astimezone(TAIPEI).date()
    school = current_enrollments(today).filter(youth_id=OuterRef("youth_id")).order_by("-enrolled_on", "-pk")
    alerts = (
        policy.visible_alerts(user)
        .filter(routed_to=bureau, status__in=ACTIVE_ALERT_STATUSES)
        .select_related("youth", "rule", "routed_to")
        .annotate(
            overdue=CaseWhen(
                When(due_at__lt=now, then=Value(True)), default=Value(False), output_field=BooleanField()
            ),
            current_school_id=Subquery(school.values("school_id")[:1]),
            duty_rank=duty_rank(),
        )
    )
    if not with_scores:
        return alerts.annotate(
            latest_score_id=Value(None, output_field=IntegerField()),
            latest_score=Value(None, output_field=FloatField()),
            latest_band=Value(None, output_field=CharField()),
            latest_rank=Value(None, output_field=IntegerField()),
        ).order_by("duty_rank", "due_at", "created_at", "pk")
    return with_latest_score(alerts).order_by(
        "duty_rank", "due_at", F("latest_score").desc(nulls_last=True), "pk"
    )


def duty_rank(rule: str = "rule__statutory_duty") -> CaseWhen:
    """The severity of an alert's legal duty as a number, most severe first (``DUTY_RANK``); an alert without
    a rule carries no legal duty."""
    return CaseWhen(
        *[When(**{rule: duty}, then=Value(rank)) for duty, rank in DUTY_RANK.items()],
        default=Value(DUTY_RANK[StatutoryDuty.OTHER]),
        output_field=IntegerField(),
    )


def queue_counts(user) -> dict[int, int]:
    """Active alerts per bureau the user triages for (shown on the bureau selector)."""
    from django.db.models import Count

    rows = (
        policy.visible_alerts(user)
        .filter(status__in=ACTIVE_ALERT_STATUSES, routed_to__in=policy.triage_bureaus(user))
        .values("routed_to")
        .annotate(n=Count("pk"))
    )
    return {row["routed_to"]: row["n"] for row in rows}


def with_current_school(alerts: QuerySet[Alert], school: School) -> QuerySet[Alert]:
    """Alerts about youth currently enrolled at ``school`` (on Taipei's today)."""
    enrolled = current_enrollments(taipei_today()).filter(youth_id=OuterRef("youth_id"), school=school)
    return alerts.filter(Exists(enrolled))


def schools_by_id(ids) -> dict[int, School]:
    return School.objects.in_bulk([i for i in ids if i is not None])


def score_history_for(user, youth: Youth, *, runs: int) -> list[RiskScore]:
    """The youth's latest ``runs`` scores as this viewer may see them (``policy.visible_scores``), newest first:
    none for a viewer who sees no scores. The first is the score the youth page and the decision page show."""
    return list(policy.visible_scores(user).filter(youth=youth).order_by("-as_of", "-scored_at")[:runs])


def scores_by_id(ids) -> dict[int, RiskScore]:
    return RiskScore.objects.in_bulk([i for i in ids if i is not None])


# ---------------------------------------------------------------------------------------------------------
# Reasons as a viewer may read them
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShownReason:
    up: bool
    text: str | None  # None: withheld, the factor draws on records the viewer may not read
    shap: float | None = None  # how hard it pushes (log-odds); None when withheld


@dataclass(frozen=True)
class ReadableReasons:
    """A score's reasons as one viewer may read them (``policy.reason_detail``)."""

    shown: list[ShownReason]

    def __bool__(self) -> bool:
        return bool(self.shown)


def readable_reasons(
    user,
    youth: Youth,
    score: RiskScore | None,
    *,
    top: int | None = None,
    levels: dict[str, policy.Detail] | None = None,
) -> ReadableReasons:
    """A score's reasons for this viewer: in full when they may read everything the reason counts; in place,
    with its direction but no text or size, when they know those records exist but may not read them; none
    at all for a viewer who sees no scores (``policy.sees_model_scores``). With ``top``, only the strongest ``top`` of the reasons
    not left out, by the size of their push (stored order when sizes are missing). The one reading of reasons
    for the youth page, the triage queue and the decision page."""
    if score is None or not policy.sees_model_scores(user):
        return ReadableReasons(shown=[])
    levels = levels if levels is not None else policy.record_detail_by_source(user, youth)
    english = (get_language() or "").startswith("en")
    graded = [(reason, policy.reason_detail(levels, reason)) for reason in score.reasons or []]
    graded = [(reason, level) for reason, level in graded if level != policy.Detail.HIDDEN]
    if top is not None:
        graded = sorted(graded, key=lambda pair: -abs(pair[0].get("shap") or 0))[:top]
    shown = []
    for reason, level in graded:
        visible = level == policy.Detail.FULL
        shown.append(
            ShownReason(
                up=reason.get("direction") == "up",
                text=(reason.get("text_en") if english else reason.get("text_zh")) if visible else None,
                shap=reason.get("shap") if visible else None,
            )
        )
    return ReadableReasons(shown=shown)


# ---------------------------------------------------------------------------------------------------------
# Deadlines in words
# ---------------------------------------------------------------------------------------------------------


def deadline_words(due_at: dt.datetime, now: dt.datetime) -> str:
    """'overdue by 3 days', 'due in 5 hours': hours within two days of the deadline, whole days beyond
    (rounded to the nearest hour or day)."""
    seconds = (due_at - now).total_seconds()
    overdue = seconds < 0
    seconds = abs(seconds)
    if seconds < 3600:
        return gettext("overdue") if overdue else gettext("due within the hour")
    hours = round(seconds / 3600)
    if hours < HOURS_UNTIL_DAYS:
        if overdue:
            return ngettext("overdue by %(n)d hour", "overdue by %(n)d hours", hours) % {"n": hours}
        return ngettext("due in %(n)d hour", "due in %(n)d hours", hours) % {"n": hours}
    days = round(seconds / 86400)
    if overdue:
        return ngettext("overdue by %(n)d day", "overdue by %(n)d days", days) % {"n": days}
    return ngettext("due in %(n)d day", "due in %(n)d days", days) % {"n": days}


def rule_deadline_words(rule: AlertRule) -> str:
    """A rule's deadline as its duty states it: 'within 24 hours', 'within 14 days'."""
    if rule.deadline_hours is not None:
        n = rule.deadline_hours
        return ngettext("within %(n)d hour", "within %(n)d hours", n) % {"n": n}
    n = rule.deadline_days or 0
    return ngettext("within %(n)d day", "within %(n)d days", n) % {"n": n}


# ---------------------------------------------------------------------------------------------------------
# Alert rules (a catalogue, not youth data: gated by policy.can_read_alert_rules in the views)
# ---------------------------------------------------------------------------------------------------------


def current_alert_rules() -> QuerySet[AlertRule]:
    """The current version of every rule, enabled or not (alerting.current_rules leaves disabled ones out)."""
    return AlertRule.objects.filter(is_current=True).select_related("created_by").order_by("key")


def alert_rule_versions(key: str) -> QuerySet[AlertRule]:
    return AlertRule.objects.filter(key=key).select_related("created_by").order_by("-version")


def current_alert_rule(key: str) -> AlertRule | None:
    return AlertRule.objects.filter(key=key, is_current=True).first()


def alert_rule_exists(key: str) -> bool:
    return AlertRule.objects.filter(key=key).exists()


def alert_decided_elsewhere(user, pk: int) -> Alert | None:
    """An alert of the user's own bureau that someone else resolved after the user opened it (it has left
    their sight, so policy.visible_alerts no longer returns it): the decision page tells them, without
    showing the youth's record again."""
    return (
        Alert.objects.filter(pk=pk, routed_to_id__in=policy.acting_bureaus(user), status=AlertStatus.RESOLVED)
        .select_related("resolved_by")
        .first()
    )


def latest_score(youth: Youth):
    """The score a worker sees on the youth's record now (the newest scoring run)."""
    return RiskScore.objects.filter(youth=youth).order_by("-as_of", "-scored_at").first()
