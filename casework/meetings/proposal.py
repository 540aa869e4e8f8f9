"""The agenda the platform proposes for a liaison meeting: the stuck work of the bureaus it brings together.

Read-only (the services write what it proposes). Each kind of stuck work is one function returning
:class:`Proposed` rows; :func:`proposed_items` puts them together, dropping a record already proposed by an
earlier kind (an overdue transfer is an unanswered referral first, not also a cross-bureau decision).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.access import policy
from casework.cases.worklist import REFERRAL_ANSWER_DAYS
from casework.models import (
    ACTIVE_ALERT_STATUSES,
    OPEN_CASE_STATUSES,
    ActionItem,
    AgendaItemKind,
    Alert,
    AlertStatus,
    Bureau,
    BureauKind,
    Case,
    CaseStatus,
    Intervention,
    Meeting,
    Referral,
    ReferralKind,
    ReferralStatus,
    RiskBand,
    RiskScore,
    Youth,
)

# A meeting cannot discuss hundreds of children: each kind proposes at most this many, most urgent first.
MAX_PER_KIND = 20
# A referral declined this recently on a case still open is a disagreement the meeting should settle.
DECLINED_RECENT_DAYS = 30


@dataclass
class Proposed:
    kind: str
    source_key: str
    summary: str
    youth_id: int | None
    bureau_ids: set[int] = field(default_factory=set)
    due: dt.date | None = None
    case_id: int | None = None
    referral_id: int | None = None
    alert_id: int | None = None
    action_id: int | None = None


def _live_youth() -> Q:
    """Youth that count: not merged away, not emptied by sealing."""
    return Q(youth__merged_into__isnull=True) & ~Q(youth__in=Youth.objects.filter(policy.sealed_shells()))


def referrals_overdue(scope: set[int], today: dt.date) -> list[Proposed]:
    cutoff = timezone.now() - dt.timedelta(days=REFERRAL_ANSWER_DAYS)
    rows = (
        Referral.objects.filter(_live_youth(), status=ReferralStatus.PENDING, created_at__lt=cutoff)
        .filter(Q(from_bureau_id__in=scope) | Q(to_bureau_id__in=scope))
        .select_related("from_bureau", "to_bureau")
        .order_by("created_at")[:MAX_PER_KIND]
    )
    return [
        Proposed(
            AgendaItemKind.REFERRAL_OVERDUE,
            f"referral:{r.pk}",
            _("%(kind)s from %(from)s to %(to)s sent %(day)s, unanswered")
            % {
                "kind": r.get_kind_display(),
                "from": r.from_bureau.display_name,
                "to": r.to_bureau.display_name,
                "day": timezone.localdate(r.created_at).isoformat(),
            },
            r.youth_id,
            {r.from_bureau_id, r.to_bureau_id},
            due=timezone.localdate(r.created_at) + dt.timedelta(days=REFERRAL_ANSWER_DAYS),
            case_id=r.case_id,
            referral_id=r.pk,
        )
        for r in rows
    ]


def alerts_escalated(scope: set[int], today: dt.date) -> list[Proposed]:
    rows = (
        Alert.objects.filter(_live_youth(), status=AlertStatus.ESCALATED, routed_to_id__in=scope)
        .select_related("rule", "routed_to")
        .order_by("due_at")[:MAX_PER_KIND]
    )
    return [
        Proposed(
            AgendaItemKind.ESCALATED,
            f"alert:{a.pk}",
            _("%(alert)s, routed to %(bureau)s, escalated past its deadline")
            % {"alert": a.label, "bureau": a.routed_to.display_name},
            a.youth_id,
            {a.routed_to_id},
            due=timezone.localdate(a.due_at),
            alert_id=a.pk,
        )
        for a in rows
    ]


def deadlines_missed(scope: set[int], today: dt.date) -> list[Proposed]:
    """Alerts past their deadline not yet escalated, and the latest next step of an open case past its date."""
    alerts = (
        Alert.objects.filter(
            _live_youth(),
            status__in=[s for s in ACTIVE_ALERT_STATUSES if s != AlertStatus.ESCALATED],
            routed_to_id__in=scope,
            due_at__lt=timezone.now(),
        )
        .select_related("rule", "routed_to")
        .order_by("due_at")[:MAX_PER_KIND]
    )
    out = [
        Proposed(
            AgendaItemKind.DEADLINE_MISSED,
            f"alert:{a.pk}",
            _("%(alert)s, routed to %(bureau)s: deadline passed")
            % {"alert": a.label, "bureau": a.routed_to.display_name},
            a.youth_id,
            {a.routed_to_id},
            due=timezone.localdate(a.due_at),
            alert_id=a.pk,
        )
        for a in alerts
    ]
    newer = Intervention.objects.filter(case=OuterRef("case")).filter(
        Q(occurred_on__gt=OuterRef("occurred_on"))
        | Q(occurred_on=OuterRef("occurred_on"), pk__gt=OuterRef("pk"))
    )
    steps = (
        Intervention.objects.filter(
            next_due__lt=today,
            case__status__in=OPEN_CASE_STATUSES,
            case__lead_bureau_id__in=scope,
            case__youth__merged_into__isnull=True,
        )
        .exclude(case__youth__in=Youth.objects.filter(policy.sealed_shells()))
        .filter(~Exists(newer))
        .select_related("case__lead_bureau")
        .order_by("next_due")[:MAX_PER_KIND]
    )
    out += [
        Proposed(
            AgendaItemKind.DEADLINE_MISSED,
            f"step:{i.pk}",
            _("Next step on %(case)s (%(bureau)s) was due %(day)s")
            % {"case": i.case, "bureau": i.case.lead_bureau.display_name, "day": i.next_due.isoformat()},
            i.case.youth_id,
            {i.case.lead_bureau_id},
            due=i.next_due,
            case_id=i.case_id,
        )
        for i in steps
    ]
    return out


def top_band_without_case(scope: set[int], today: dt.date, committee_id: int | None) -> list[Proposed]:
    """Youth whose latest score is in the very high band and who have no open case (the committee's own
    top-band duty, so proposed whenever the committee convenes)."""
    if committee_id is None:
        return []
    latest = RiskScore.objects.filter(youth=OuterRef("youth")).values("youth").annotate(last=Max("scored_at"))
    scores = (
        RiskScore.objects.filter(_live_youth(), band=RiskBand.VERY_HIGH)
        .filter(scored_at=latest.values("last")[:1])
        .exclude(youth__in=Case.objects.filter(status__in=OPEN_CASE_STATUSES).values("youth_id"))
        .order_by("rank", "-score")[:MAX_PER_KIND]
    )
    return [
        Proposed(
            AgendaItemKind.TOP_BAND_NO_CASE,
            f"youth:{s.youth_id}:top_band",
            _("Very high band (as of %(day)s), no open case") % {"day": s.as_of.isoformat()},
            s.youth_id,
            {committee_id},
        )
        for s in scores
    ]


def cross_bureau_decisions(scope: set[int], today: dt.date) -> list[Proposed]:
    """Transfers waiting for an answer (who leads the case), and referrals declined lately on a case still
    open (the bureaus disagree)."""
    since = timezone.now() - dt.timedelta(days=DECLINED_RECENT_DAYS)
    rows = (
        Referral.objects.filter(_live_youth())
        .filter(
            Q(kind=ReferralKind.TRANSFER, status=ReferralStatus.PENDING)
            | Q(status=ReferralStatus.DECLINED, responded_at__gte=since, case__status__in=OPEN_CASE_STATUSES)
        )
        .filter(Q(from_bureau_id__in=scope) | Q(to_bureau_id__in=scope))
        .select_related("from_bureau", "to_bureau")
        .order_by("created_at")[:MAX_PER_KIND]
    )
    out = []
    for r in rows:
        words = {
            "kind": r.get_kind_display(),
            "from": r.from_bureau.display_name,
            "to": r.to_bureau.display_name,
        }
        if r.status == ReferralStatus.DECLINED:
            summary = _("%(kind)s from %(from)s declined by %(to)s; the case is still open") % words
        else:
            summary = _("%(kind)s from %(from)s to %(to)s awaits an answer: who leads the case") % words
        out.append(
            Proposed(
                AgendaItemKind.CROSS_BUREAU,
                f"referral:{r.pk}",
                summary,
                r.youth_id,
                {r.from_bureau_id, r.to_bureau_id},
                case_id=r.case_id,
                referral_id=r.pk,
            )
        )
    return out


def closures_to_approve(scope: set[int], today: dt.date) -> list[Proposed]:
    rows = (
        Case.objects.filter(_live_youth(), status=CaseStatus.CLOSURE_REQUESTED, lead_bureau_id__in=scope)
        .select_related("lead_bureau")
        .order_by("closure_requested_at")[:MAX_PER_KIND]
    )
    return [
        Proposed(
            AgendaItemKind.CLOSURE,
            f"case:{c.pk}:closure",
            _("Closure of %(case)s (%(bureau)s) requested: %(reason)s")
            % {"case": c, "bureau": c.lead_bureau.display_name, "reason": c.get_closure_reason_display()},
            c.youth_id,
            {c.lead_bureau_id},
            case_id=c.pk,
        )
        for c in rows
    ]


def open_action_items(meeting: Meeting) -> list[Proposed]:
    """Action items of earlier meetings not yet done: they come back until they are."""
    rows = (
        ActionItem.objects.filter(done_at__isnull=True, meeting__starts_at__lt=meeting.starts_at)
        .exclude(meeting=meeting)
        .select_related("meeting", "item", "owner_bureau", "owner_user")
        .order_by("due_on", "pk")
    )
    committee = set(Bureau.objects.filter(kind=BureauKind.COMMITTEE).values_list("pk", flat=True))
    out = []
    for a in rows:
        if a.owner_bureau_id:
            bureaus = {a.owner_bureau_id}
        else:
            # A person's item concerns the bureau they act for at that meeting.
            at_meeting = set(a.meeting.invited_bureaus.values_list("pk", flat=True)) | committee
            bureaus = set(policy.principal_for(a.owner_user).casework_bureau_ids) & at_meeting
        out.append(
            Proposed(
                AgendaItemKind.ACTION_FOLLOW_UP,
                f"action:{a.pk}",
                _("From meeting %(meeting)s: %(text)s (owner: %(owner)s, due %(day)s)")
                % {
                    "meeting": a.meeting.title,
                    "text": a.text,
                    "owner": a.owner_label,
                    "day": a.due_on.isoformat(),
                },
                a.item.youth_id,
                bureaus,
                due=a.due_on,
                action_id=a.pk,
            )
        )
    return out


def proposed_items(meeting: Meeting) -> list[Proposed]:
    """Everything stuck for the bureaus the meeting brings together (the invited ones and the committee), in
    agenda order: earlier action items, escalations, missed deadlines, unanswered referrals, cross-bureau
    decisions, closures, top-band youth without a case. A record appears once."""
    today = timezone.localdate()
    committee_id = (
        meeting.invited_bureaus.model.objects.filter(kind=BureauKind.COMMITTEE)
        .values_list("pk", flat=True)
        .first()
    )
    scope = set(meeting.invited_bureaus.values_list("pk", flat=True))
    if committee_id is not None:
        scope.add(committee_id)
    rows = [
        *open_action_items(meeting),
        *alerts_escalated(scope, today),
        *deadlines_missed(scope, today),
        *referrals_overdue(scope, today),
        *cross_bureau_decisions(scope, today),
        *closures_to_approve(scope, today),
        *top_band_without_case(scope, today, committee_id),
    ]
    seen: set[str] = set()
    out = []
    for row in rows:
        if row.source_key in seen:
            continue
        seen.add(row.source_key)
        out.append(row)
    return out
