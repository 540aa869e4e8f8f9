"""Need-to-know access: the one place that says who may see or do what.

Every page, API endpoint, export and queryset that touches a youth goes through this module, including
which files each role may take away (exports, subject access; the last section).

Rules as implemented (docs/access-policy.md explains them for readers):

1. Only case-working roles (juvenile officer, guidance worker, social worker, school counsellor, supervisor)
   can ever hold a reason to see a youth. Data stewards, model stewards, auditors and administrators reach
   youth records only through their own narrow views (identity register, aggregates, the audit log).
2. A case worker sees a youth when they or their bureau have an *active* reason on record: an open case led
   by their bureau or assigned to them, a pending or accepted referral/transfer routed to their bureau or to
   them, or an active alert routed to their bureau.
3. A supervisor sees every youth with anything ever routed to their bureau: cases it led, referrals it sent
   or received, alerts routed to it (any status).
4. A school counsellor sees the students currently enrolled in their own school, and only school events.
5. Event details are visible by source: police details to the police unit and the committee, welfare details
   to social welfare and the committee, school details to the education bureau, the committee and the
   student's current school. Other viewers see only that records of that category exist (a count). The
   current school is a school detail (``can_read_school_details``). A score's reason is a detail of every
   source it counts (``reason_detail``): in full to those who read them all, in place without text or size
   to those who know such records exist; those who may not know even that (rule 4) see no score (rule 19).
6. A case's content (summary, interventions, referrals) is visible to its lead bureau, its assignee and the
   worker who opened it, bureaus with an active referral on it, and the committee; other viewers of the youth
   see only that a case led by that bureau exists.
7. Fairness-audit attributes are not reachable from any case page or case API at all (they live in
   ``FairnessAttributes``, which no casework serializer or template reads).
8. Objects outside a user's reach answer 404 (never 403) so their existence does not leak; pages a role may
   not use at all answer 403.

(Rules 9-16 are in docs/access-policy.md; they are enforced where the data is kept or changed.)

17. Opening a record by stating a purpose ("break the glass"). A juvenile officer, guidance worker, social
    worker or supervisor (``can_break_glass``: anyone holding a case-working role other than school counsellor)
    with no reason on record may open a youth's record by typing the youth's exact youth ID or national ID and
    stating a purpose (a code and a sentence). The resulting ``AccessGrant`` is a reason under rule 2 until it
    expires (``ACCESS_GRANT_HOURS``); what it shows follows rules 5 and 6 unchanged. School counsellors never
    break the glass: their reason is enrolment, and a concern about another school's student is a report to
    the committee, not a look at the record. Stewards, auditors and administrators never do (rule 1). The
    grant, and every view of the youth's page while it lasts, is logged with the purpose; supervisors of the
    bureau the worker acted for are told, and they (never the worker themselves) or an auditor review it
    (``visible_access_grants``, ``can_review_access_grant``). Before a purpose is stated nothing tells whether
    the typed ID exists.
18. Messages follow the role they were sent to (``visible_notifications``): what a supervisor is told as a
    supervisor (escalations, closures to decide, accesses to review) only while they are an active supervisor
    of that bureau; other personal messages while they hold a case-working role; a bureau's, while they work
    in it. Only active supervisors are told (``supervisors_of``).
19. The risk model's score, band, rank, history and reasons (``sees_model_scores``, ``visible_scores``) are for
    viewers who may know, for every youth they see, that records of every source the model reads exist (rule
    5's count line at least): everyone acting for a bureau. Not school counsellors: the model reads police and
    welfare records, whose existence rule 4 hides from them, and a "very high" band over a few mild school
    records would tell that such records exist. The rule is by role, never by youth (a score shown only for
    students with nothing hidden would tell by its absence); their queues are not ordered by score either.
21. Liaison meetings (the section "Liaison meetings" at the end; docs/meetings.md). Committee supervisors and
    the committee's secretariat run them (``can_run_meetings``): they see every agenda line (youth ID, kind of
    stuck work, bureaus concerned, dates: routing facts, never record content) and open no youth record by it.
    A participant (a supervisor of an invited bureau, or a worker invited by name) sees only their bureau's
    pre-read pack and the action items they own: a youth on the agenda appears in a bureau's pack only while
    the participant may see the youth (rules 1-6, unchanged) or the committee has shared it with that bureau
    for this meeting (``MeetingShare``: named sources and case content, until the end of the meeting's day,
    logged, reviewed by an auditor or a committee supervisor who did not make it). Sealed records never
    appear: packs read events only through this module's querysets.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import IntEnum
from functools import cached_property

from django.db.models import CharField, Exists, OuterRef, Q, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from casework.models import (
    ACCESS_GRANT_HOURS,
    ACTIVE_ALERT_STATUSES,
    CASEWORK_ROLES,
    OPEN_CASE_STATUSES,
    AccessGrant,
    ActionItem,
    AgendaItem,
    Alert,
    AuditEntry,
    Bureau,
    BureauKind,
    Case,
    CaseAssigneeChange,
    CaseStatus,
    CaseStatusChange,
    Enrollment,
    Event,
    EventSource,
    Intervention,
    Meeting,
    MeetingShare,
    MeetingStatus,
    Membership,
    Notification,
    NotificationKind,
    PlannedService,
    Referral,
    ReferralStatus,
    RiskScore,
    Role,
    TriageDecision,
    User,
    Youth,
)

ACTIVE_REFERRAL_STATUSES = [ReferralStatus.PENDING, ReferralStatus.ACCEPTED]


class Detail(IntEnum):
    """How much of a record a viewer may see."""

    HIDDEN = 0
    CATEGORY = 1  # only that records of this category exist
    FULL = 2


# Which bureau kinds see full details of each event source (rule 5).
SOURCE_READERS: dict[str, frozenset[str]] = {
    EventSource.POLICE: frozenset({BureauKind.POLICE, BureauKind.COMMITTEE}),
    EventSource.WELFARE: frozenset({BureauKind.WELFARE, BureauKind.COMMITTEE}),
    EventSource.SCHOOL: frozenset({BureauKind.EDUCATION, BureauKind.COMMITTEE}),
}


@dataclass(frozen=True)
class Principal:
    """What a signed-in user's active memberships allow, resolved once per request."""

    user: User
    roles: frozenset[str]
    # Bureaus in which the user holds a case-working role other than school counsellor.
    casework_bureau_ids: frozenset[int]
    casework_bureau_kinds: frozenset[str]
    supervisor_bureau_ids: frozenset[int]
    counsellor_school_ids: frozenset[int]
    all_bureau_ids: frozenset[int] = field(default_factory=frozenset)

    @cached_property
    def is_caseworker(self) -> bool:
        return bool(self.roles & CASEWORK_ROLES)

    @property
    def is_counsellor_only(self) -> bool:
        return bool(self.counsellor_school_ids) and not self.casework_bureau_ids

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    @property
    def roles_label(self) -> str:
        """The roles in words, in the reader's language (the page header's tooltip)."""
        from django.utils.translation import pgettext

        return pgettext("list separator", ", ").join(sorted(str(Role(r).label) for r in self.roles))


def principal_for(user) -> Principal:
    """Resolve (and cache on the user object) what the user's memberships allow."""
    cached = getattr(user, "_principal", None)
    if cached is not None:
        return cached
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        principal = Principal(
            user=user,
            roles=frozenset(),
            casework_bureau_ids=frozenset(),
            casework_bureau_kinds=frozenset(),
            supervisor_bureau_ids=frozenset(),
            counsellor_school_ids=frozenset(),
        )
    else:
        memberships = list(user.memberships.filter(active=True).select_related("bureau"))
        casework = [m for m in memberships if m.role in CASEWORK_ROLES and m.role != Role.SCHOOL_COUNSELLOR]
        principal = Principal(
            user=user,
            roles=frozenset(m.role for m in memberships),
            casework_bureau_ids=frozenset(m.bureau_id for m in casework),
            casework_bureau_kinds=frozenset(m.bureau.kind for m in casework),
            supervisor_bureau_ids=frozenset(m.bureau_id for m in memberships if m.role == Role.SUPERVISOR),
            counsellor_school_ids=frozenset(
                m.school_id for m in memberships if m.role == Role.SCHOOL_COUNSELLOR and m.school_id
            ),
            all_bureau_ids=frozenset(m.bureau_id for m in memberships),
        )
    if getattr(user, "pk", None) is not None:
        user._principal = principal
    return principal


def forget_principal(user) -> None:
    """Drop the cached principal after memberships change."""
    if hasattr(user, "_principal"):
        del user._principal


# ---------------------------------------------------------------------------------------------------------
# Roles that gate whole pages
# ---------------------------------------------------------------------------------------------------------


def can_read_audit_log(user) -> bool:
    return principal_for(user).has_role(Role.AUDITOR)


def can_use_identity_register(user) -> bool:
    return principal_for(user).has_role(Role.DATA_STEWARD)


def can_steward_data(user) -> bool:
    """Imports, quarantine and (later) record-match review: data stewards only."""
    return principal_for(user).has_role(Role.DATA_STEWARD)


def can_read_aggregates(user) -> bool:
    return principal_for(user).has_role(Role.MODEL_STEWARD, Role.SUPERVISOR)


def can_read_model_reports(user) -> bool:
    """The risk-model registry, model reports and model cards: model stewards and supervisors."""
    return principal_for(user).has_role(Role.MODEL_STEWARD, Role.SUPERVISOR)


def can_promote_models(user) -> bool:
    """Making a risk model the active one: model stewards and supervisors."""
    return principal_for(user).has_role(Role.MODEL_STEWARD, Role.SUPERVISOR)


def can_propose_model_override(user) -> bool:
    """Proposing to make active a model that failed an overridable check of the promotion gate: model stewards
    (who read the model's evidence). The override itself needs a second person (below)."""
    return principal_for(user).has_role(Role.MODEL_STEWARD)


def can_decide_model_override(user) -> bool:
    """Approving or rejecting an override of the promotion gate: supervisors of the juvenile guidance committee,
    which answers for the programme (a police or welfare supervisor does not)."""
    ids = principal_for(user).supervisor_bureau_ids
    return bool(ids) and Bureau.objects.filter(pk__in=ids, kind=BureauKind.COMMITTEE).exists()


def can_read_retention_report(user) -> bool:
    """What expires next and what the purge removed: data stewards run the purge, auditors check it."""
    p = principal_for(user)
    return p.has_role(Role.DATA_STEWARD, Role.AUDITOR)


def can_decide_contests(user) -> bool:
    """Contested records are decided by data stewards; case workers only carry the youth's request."""
    return principal_for(user).has_role(Role.DATA_STEWARD)


def can_administer(user) -> bool:
    return principal_for(user).has_role(Role.ADMINISTRATOR)


def is_caseworker(user) -> bool:
    return principal_for(user).is_caseworker


# ---------------------------------------------------------------------------------------------------------
# Youth
# ---------------------------------------------------------------------------------------------------------


def _current_enrollments(school_ids, day) -> QuerySet[Enrollment]:
    return Enrollment.objects.filter(school_id__in=school_ids).filter(
        Q(enrolled_on__isnull=True) | Q(enrolled_on__lte=day),
        Q(left_on__isnull=True) | Q(left_on__gt=day),
    )


def sealed_shells() -> Q:
    """Youth records that sealing left with no identity and nothing held (no timeline, enrolment, case, alert,
    referral or triage decision): answered everywhere as an unknown ID, because showing one, even empty, would
    say that a record once existed and was sealed (docs/sealing.md, privacy/subject_access.is_sealed_shell)."""
    return (
        Q(name="", name_romanized="", national_id="", birth_date__isnull=True)
        & ~Q(pk__in=Event.objects.values("youth_id"))
        & ~Q(pk__in=Enrollment.objects.values("youth_id"))
        & ~Q(pk__in=Case.objects.values("youth_id"))
        & ~Q(pk__in=Alert.objects.values("youth_id"))
        & ~Q(pk__in=Referral.objects.values("youth_id"))
        & ~Q(pk__in=TriageDecision.objects.values("youth_id"))
    )


def visible_youth(user) -> QuerySet[Youth]:
    """Every youth the user has a need-to-know reason to see (rules 1-4)."""
    p = principal_for(user)
    if not p.is_caseworker:
        return Youth.objects.none()
    reasons = Q(pk__in=[])
    bureaus = p.casework_bureau_ids
    if bureaus or p.user.pk:
        reasons |= Q(
            pk__in=Case.objects.filter(status__in=OPEN_CASE_STATUSES)
            .filter(Q(lead_bureau_id__in=bureaus) | Q(assignee_id=p.user.pk))
            .values("youth_id")
        )
        reasons |= Q(
            pk__in=Referral.objects.filter(status__in=ACTIVE_REFERRAL_STATUSES)
            .filter(Q(to_bureau_id__in=bureaus) | Q(to_user_id=p.user.pk))
            .values("youth_id")
        )
    if bureaus:
        reasons |= Q(
            pk__in=Alert.objects.filter(status__in=ACTIVE_ALERT_STATUSES, routed_to_id__in=bureaus).values(
                "youth_id"
            )
        )
    if p.supervisor_bureau_ids:
        sup = p.supervisor_bureau_ids
        reasons |= Q(pk__in=Case.objects.filter(lead_bureau_id__in=sup).values("youth_id"))
        reasons |= Q(
            pk__in=Referral.objects.filter(Q(to_bureau_id__in=sup) | Q(from_bureau_id__in=sup)).values(
                "youth_id"
            )
        )
        reasons |= Q(pk__in=Alert.objects.filter(routed_to_id__in=sup).values("youth_id"))
    if p.counsellor_school_ids:
        reasons |= Q(
            pk__in=_current_enrollments(p.counsellor_school_ids, timezone.localdate()).values("youth_id")
        )
    if bureaus:
        # Rule 17: a stated purpose is a reason until it expires (and only while the user still works a case).
        reasons |= Q(pk__in=active_grants(user).values("youth_id"))
    return Youth.objects.filter(reasons, merged_into__isnull=True).exclude(sealed_shells())


def can_view_youth(user, youth: Youth) -> bool:
    return visible_youth(user).filter(pk=youth.pk).exists()


# ---------------------------------------------------------------------------------------------------------
# Opening a record by stating a purpose (rule 17)
# ---------------------------------------------------------------------------------------------------------


def can_break_glass(user) -> bool:
    """Who may open a record they have no reason for by stating a purpose: case workers other than school
    counsellors (officers, guidance and social workers, supervisors)."""
    return bool(principal_for(user).casework_bureau_ids)


def access_grant_window() -> dt.timedelta:
    return dt.timedelta(hours=ACCESS_GRANT_HOURS)


def active_grants(user) -> QuerySet[AccessGrant]:
    """The user's own grants that have not yet expired."""
    p = principal_for(user)
    if not p.casework_bureau_ids:
        return AccessGrant.objects.none()
    return AccessGrant.objects.filter(user_id=p.user.pk, expires_at__gt=timezone.now())


def active_grant_for(user, youth: Youth) -> AccessGrant | None:
    """The user's unexpired grant for this youth (the latest, if several), or None."""
    return active_grants(user).filter(youth=youth).order_by("-expires_at").first()


def youth_by_exact_identifier(user, *, public_id: str = "", national_id: str = "") -> QuerySet[Youth]:
    """Youth whose youth ID or national ID is exactly the one typed, for someone who may break the glass.

    Unscoped on purpose: callers use it only once a purpose has been stated (to create the grant), or
    narrowed by ``visible_youth`` (to skip the purpose form for a record the user may already see)."""
    if not can_break_glass(user) or not (public_id or national_id):
        return Youth.objects.none()
    match = Q(public_id=public_id) if public_id else Q(national_id=national_id)
    return (
        Youth.objects.filter(match, merged_into__isnull=True).exclude(sealed_shells()).order_by("public_id")
    )


def can_read_access_reviews(user) -> bool:
    """The review list of accesses by stated purpose: supervisors (their bureaus) and auditors (all)."""
    p = principal_for(user)
    return bool(p.supervisor_bureau_ids) or p.has_role(Role.AUDITOR)


def visible_access_grants(user) -> QuerySet[AccessGrant]:
    """Grants a supervisor reviews (made by workers acting for a bureau they supervise); auditors see all."""
    p = principal_for(user)
    # A grant on a youth that sealing has since left empty names a record that counts as never made.
    grants = AccessGrant.objects.exclude(youth__in=Youth.objects.filter(sealed_shells()))
    if p.has_role(Role.AUDITOR):
        return grants
    if p.supervisor_bureau_ids:
        return grants.filter(bureau_id__in=p.supervisor_bureau_ids)
    return AccessGrant.objects.none()


def can_review_access_grant(user, grant: AccessGrant) -> bool:
    """A supervisor of the grant's bureau, or an auditor (independent oversight, and the only reviewer of a
    bureau's sole supervisor), records the review; nobody reviews their own access."""
    p = principal_for(user)
    if grant.user_id == p.user.pk:
        return False
    return p.has_role(Role.AUDITOR) or grant.bureau_id in p.supervisor_bureau_ids


def identity_register(user) -> QuerySet[Youth]:
    """Identities (no events, no cases) for data stewards resolving record matches."""
    if not can_use_identity_register(user):
        return Youth.objects.none()
    return Youth.objects.exclude(sealed_shells())


# ---------------------------------------------------------------------------------------------------------
# Events on the timeline
# ---------------------------------------------------------------------------------------------------------


def event_detail_by_source(user, youth: Youth) -> dict[str, Detail]:
    """For each event source, how much of this youth's events the user may see (rule 5).

    Assumes the caller has already established that the user may see the youth.
    """
    p = principal_for(user)
    levels: dict[str, Detail] = {}
    counsellor_here = (
        bool(p.counsellor_school_ids)
        and _current_enrollments(p.counsellor_school_ids, timezone.localdate()).filter(youth=youth).exists()
    )
    for source, readers in SOURCE_READERS.items():
        if p.casework_bureau_kinds & readers or source == EventSource.SCHOOL and counsellor_here:
            levels[source] = Detail.FULL
        elif p.casework_bureau_ids:
            levels[source] = Detail.CATEGORY
        else:
            # A school counsellor with no other role sees school events only (rule 4).
            levels[source] = Detail.HIDDEN
    return levels


@dataclass(frozen=True)
class Timeline:
    """A youth's timeline as one viewer may see it."""

    events: list[Event]  # events shown in full
    restricted_counts: dict[str, int]  # source -> number of events the viewer may only know exist
    levels: dict[str, Detail]


def timeline_for(user, youth: Youth) -> Timeline:
    """The youth's unsealed events, with details only from the sources the user may read."""
    levels = event_detail_by_source(user, youth)
    full_sources = [s for s, lvl in levels.items() if lvl == Detail.FULL]
    category_sources = [s for s, lvl in levels.items() if lvl == Detail.CATEGORY]
    events = list(
        Event.objects.filter(youth=youth, source__in=full_sources)
        .select_related("school", "owning_bureau")
        # Contests and corrections (integrations) are shown beside each event; no import, only the relation.
        .prefetch_related("contests__correction")
    )
    counts: dict[str, int] = {}
    if category_sources:
        for source in category_sources:
            n = Event.objects.filter(youth=youth, source=source).count()
            if n:
                counts[source] = n
    return Timeline(events=events, restricted_counts=counts, levels=levels)


def reads_source_for_every_youth(user, source: str) -> bool:
    """Whether the user reads this source's details for every youth they see, by their bureaus' kinds alone
    (rule 5); a counsellor's own students are the one per-youth exception (``event_detail_by_source``). Used
    where a page shows or filters by such a detail for many youth at once (the triage queue's current school)."""
    return bool(principal_for(user).casework_bureau_kinds & SOURCE_READERS[source])


def can_read_school_details(user, youth: Youth) -> bool:
    """The youth's school details (the current school among them) are the education bureau's, the committee's
    and the current school's (rule 5): a police officer or social worker does not learn where a youth studies."""
    return event_detail_by_source(user, youth)[EventSource.SCHOOL] == Detail.FULL


# ---------------------------------------------------------------------------------------------------------
# The reasons behind a risk score (rule 5 applied to what a reason counts)
# ---------------------------------------------------------------------------------------------------------
# A reason ("police contacts for an offence in the last year: 2") is a detail of every source its indicator
# reads. One that counts several sources at once ("bureaus with records about the youth in the last year: 2",
# "kinds of record: 3", "days since the last record") tells a viewer who may read only one of them that the
# others hold records, which rule 4 forbids even as a count. So a reason is shown only to a viewer who reads
# in full every source it reads (riskmodel's catalogue names them in ``Indicator.reads``; scoring stores them
# on each reason as ``reads``).
#
# Besides the three timeline sources, a reason may read:
CASES = "cases"  # that the youth's cases exist, when they opened and closed: rule 6's one line per case
INTERVENTIONS = "interventions"  # work logged on the cases: case content (rule 6)
IDENTITY = "identity"  # the youth record itself (the birth date): anyone who may see the youth
_READS = {
    "education": EventSource.SCHOOL,  # the catalogue's name for the school source
    EventSource.SCHOOL: EventSource.SCHOOL,
    EventSource.POLICE: EventSource.POLICE,
    EventSource.WELFARE: EventSource.WELFARE,
    CASES: CASES,
    INTERVENTIONS: INTERVENTIONS,
    IDENTITY: IDENTITY,
}
# What a reason that does not say what it reads is taken to read: everything a viewer could be refused. A
# reason stored before ``reads`` existed (or by an indicator that forgot it) is withheld, not shown.
EVERYTHING_READ = frozenset({*SOURCE_READERS, CASES, INTERVENTIONS})


def reads_of(reason: dict) -> frozenset[str]:
    """The records a stored reason draws on: its ``reads``; or, for a reason stored without them, its one
    timeline ``source``; anything unknown or unsaid counts as everything (fail closed)."""
    named = reason.get("reads")
    if named is None:
        source = reason.get("source")
        return frozenset({source}) if source in SOURCE_READERS else EVERYTHING_READ
    if not isinstance(named, list | tuple) or not named or any(n not in _READS for n in named):
        return EVERYTHING_READ
    return frozenset(_READS[n] for n in named)


def record_detail_by_source(user, youth: Youth) -> dict[str, Detail]:
    """``event_detail_by_source`` and, besides it, how much the user may know of the youth's cases, of the work
    logged on them and of the youth record itself: what a score's reasons may count.

    Cases and interventions are hidden from school counsellors (rules 4 and 14), whatever the youth's cases,
    so that the level itself tells nothing. Other viewers know every case exists (rule 6); they read the work
    on them only when they may read every case of the youth (they know which ones they may not)."""
    levels = dict(event_detail_by_source(user, youth))
    if principal_for(user).is_counsellor_only:
        levels[CASES] = levels[INTERVENTIONS] = Detail.HIDDEN
    else:
        levels[CASES] = Detail.FULL
        unread = other_cases_of(user, youth).exists()
        levels[INTERVENTIONS] = Detail.CATEGORY if unread else Detail.FULL
    levels[IDENTITY] = Detail.FULL
    return levels


def reason_detail(levels: dict[str, Detail], reason: dict) -> Detail:
    """How much of one reason the viewer may see: the least they may see of anything it reads. FULL: its text
    and size; CATEGORY: that a factor they may not read pushes the score up or down (they know those records
    exist); HIDDEN: nothing at all, not even that it exists (a counsellor must not learn that police or welfare
    hold records; they see no score at all, rule 19, so this is the fail-closed backstop)."""
    return min(levels.get(source, Detail.HIDDEN) for source in reads_of(reason))


# ---------------------------------------------------------------------------------------------------------
# The score itself (rule 19)
# ---------------------------------------------------------------------------------------------------------
# A score, its band and its rank are computed from every source the model reads, whatever the viewer may read.
# To a viewer who knows those records exist (rule 5's count line, for every youth, to everyone acting for a
# bureau) a score says what the programme exists to say, one figure over every bureau's records, while the
# factors they may not read stay withheld in place (``reason_detail``). To a viewer who may not know that
# police or welfare records exist (a school counsellor, rule 4) a "very high" band over a few mild school
# records says that they do. So such a viewer sees no score, band, rank, history or reason for any youth:
# by role, not by youth, because a score shown for some students and not others would tell by its absence.


def sees_model_scores(user) -> bool:
    """Whether the user may see risk scores at all: whoever acts for a bureau (for every youth they see, no
    source the model reads is hidden from them, ``record_detail_by_source``); never a school counsellor."""
    return bool(principal_for(user).casework_bureau_ids)


def visible_scores(user) -> QuerySet[RiskScore]:
    """The risk scores the user may see: those of the youth they may see, if they may see scores at all."""
    if not sees_model_scores(user):
        return RiskScore.objects.none()
    return RiskScore.objects.filter(youth__in=visible_youth(user))


def visible_events(user) -> QuerySet[Event]:
    """Events the user may see in full, across every youth they may see (for the events API)."""
    p = principal_for(user)
    if not p.is_caseworker:
        return Event.objects.none()
    youth = visible_youth(user)
    allowed = Q(pk__in=[])
    for source, readers in SOURCE_READERS.items():
        if p.casework_bureau_kinds & readers:
            allowed |= Q(source=source)
    if p.counsellor_school_ids:
        allowed |= Q(
            source=EventSource.SCHOOL,
            youth__in=_current_enrollments(p.counsellor_school_ids, timezone.localdate()).values("youth_id"),
        )
    return Event.objects.filter(allowed, youth__in=youth)


# ---------------------------------------------------------------------------------------------------------
# Cases, interventions, alerts, referrals, triage decisions
# ---------------------------------------------------------------------------------------------------------


def visible_cases(user) -> QuerySet[Case]:
    """Cases whose content the user may read in full (rule 6)."""
    p = principal_for(user)
    if not p.is_caseworker:
        return Case.objects.none()
    uid = p.user.pk
    content = Q(assignee_id=uid) | Q(opened_by_id=uid)
    if p.casework_bureau_ids:
        content |= Q(lead_bureau_id__in=p.casework_bureau_ids)
        content |= Q(
            pk__in=Referral.objects.filter(
                status__in=ACTIVE_REFERRAL_STATUSES, to_bureau_id__in=p.casework_bureau_ids
            ).values("case_id")
        )
    content |= Q(
        pk__in=Referral.objects.filter(status__in=ACTIVE_REFERRAL_STATUSES, to_user_id=uid).values("case_id")
    )
    if p.supervisor_bureau_ids:
        content |= Q(
            pk__in=Referral.objects.filter(
                Q(to_bureau_id__in=p.supervisor_bureau_ids) | Q(from_bureau_id__in=p.supervisor_bureau_ids)
            ).values("case_id")
        )
    if BureauKind.COMMITTEE in p.casework_bureau_kinds:
        content = Q(pk__isnull=False)
    return Case.objects.filter(content, youth__in=visible_youth(user))


def can_view_case(user, case: Case) -> bool:
    return visible_cases(user).filter(pk=case.pk).exists()


def other_cases_of(user, youth: Youth) -> QuerySet[Case]:
    """The youth's cases the user may know exist but not read (shown as a line each). School counsellors
    learn nothing of other bureaus' work (rule 4)."""
    if principal_for(user).is_counsellor_only:
        return Case.objects.none()
    return youth.cases.exclude(pk__in=visible_cases(user).values("pk")).select_related("lead_bureau")


def visible_interventions(user) -> QuerySet[Intervention]:
    return Intervention.objects.filter(case__in=visible_cases(user))


def visible_alerts(user) -> QuerySet[Alert]:
    """Alerts routed to the user's bureaus: active ones for workers, all of them for supervisors."""
    p = principal_for(user)
    if not p.casework_bureau_ids:
        return Alert.objects.none()
    routed = Q(routed_to_id__in=p.casework_bureau_ids, status__in=ACTIVE_ALERT_STATUSES)
    if p.supervisor_bureau_ids:
        routed |= Q(routed_to_id__in=p.supervisor_bureau_ids)
    return Alert.objects.filter(routed, youth__merged_into__isnull=True)


def visible_referrals(user) -> QuerySet[Referral]:
    """Active referrals of the user's bureaus about youth they may see; every referral the user sent (to learn
    its outcome); and, for supervisors, every referral their bureau sent or received."""
    p = principal_for(user)
    if not p.is_caseworker:
        return Referral.objects.none()
    uid = p.user.pk
    active = Q(to_user_id=uid)
    if p.casework_bureau_ids:
        active |= Q(from_bureau_id__in=p.casework_bureau_ids) | Q(to_bureau_id__in=p.casework_bureau_ids)
    shown = Q(active, status__in=ACTIVE_REFERRAL_STATUSES, youth__in=visible_youth(user)) | Q(
        from_user_id=uid
    )
    if p.supervisor_bureau_ids:
        shown |= Q(from_bureau_id__in=p.supervisor_bureau_ids) | Q(to_bureau_id__in=p.supervisor_bureau_ids)
    return Referral.objects.filter(shown, youth__merged_into__isnull=True)


def visible_triage_decisions(user) -> QuerySet[TriageDecision]:
    """A bureau's triage decisions (each carries the score and band the worker was shown, so rule 19 holds)."""
    p = principal_for(user)
    if not p.is_caseworker or not sees_model_scores(user):
        return TriageDecision.objects.none()
    return TriageDecision.objects.filter(
        Q(decided_by_id=p.user.pk) | Q(bureau_id__in=p.casework_bureau_ids), youth__in=visible_youth(user)
    )


def visible_audit_entries(user) -> QuerySet[AuditEntry]:
    """The access log for those who may read it; each row marked ``about_sealed_shell`` when its youth is one
    sealing left empty, so that what it names is withheld as it is shown (``AuditEntry.shown_*``)."""
    if not can_read_audit_log(user):
        return AuditEntry.objects.none()
    shells = Youth.objects.filter(sealed_shells(), public_id=OuterRef("youth_public_id"))
    return AuditEntry.objects.annotate(about_sealed_shell=Exists(shells))


# ---------------------------------------------------------------------------------------------------------
# Actions
# ---------------------------------------------------------------------------------------------------------


def acting_bureaus(user) -> list[int]:
    """Bureaus on whose behalf the user may act (open cases, refer, decide triage)."""
    return sorted(principal_for(user).casework_bureau_ids)


def can_act_for_bureau(user, bureau_id: int) -> bool:
    return bureau_id in principal_for(user).casework_bureau_ids


def assignable_users(user) -> QuerySet[User]:
    """Colleagues a case may be assigned to: case workers (not counsellors) of the user's own bureaus."""
    bureaus = principal_for(user).casework_bureau_ids
    return caseworkers_of(bureaus)


def caseworkers_of(bureau_ids) -> QuerySet[User]:
    return User.objects.filter(
        is_active=True,
        memberships__active=True,
        memberships__bureau_id__in=list(bureau_ids),
        memberships__role__in=[r for r in CASEWORK_ROLES if r != Role.SCHOOL_COUNSELLOR],
    ).distinct()


def supervisors_of(bureau_id: int) -> QuerySet[User]:
    """Active supervisors of a bureau: they hear of its escalations and decide its closures."""
    return User.objects.filter(
        is_active=True,
        memberships__active=True,
        memberships__bureau_id=bureau_id,
        memberships__role=Role.SUPERVISOR,
    ).distinct()


def referral_recipients(user) -> QuerySet[User]:
    """Workers a referral may name as receiver: case workers of any bureau (a staff directory, no youth data)."""
    if not principal_for(user).is_caseworker:
        return User.objects.none()
    return caseworkers_of(Bureau.objects.values_list("pk", flat=True))


def can_open_case(user, youth: Youth, lead_bureau_id: int) -> bool:
    return can_act_for_bureau(user, lead_bureau_id) and can_view_youth(user, youth)


def can_edit_case(user, case: Case) -> bool:
    """Lead-bureau members and the assignee work the case; closed cases are read-only."""
    p = principal_for(user)
    if not case.is_open:
        return False
    return (case.lead_bureau_id in p.casework_bureau_ids or case.assignee_id == p.user.pk) and can_view_case(
        user, case
    )


def can_log_intervention(user, case: Case) -> bool:
    p = principal_for(user)
    if not case.is_open or not can_view_case(user, case):
        return False
    if case.lead_bureau_id in p.casework_bureau_ids or case.assignee_id == p.user.pk:
        return True
    # A bureau working the case through an accepted referral logs its own work on it.
    return case.referrals.filter(
        Q(to_bureau_id__in=p.casework_bureau_ids) | Q(to_user_id=p.user.pk), status=ReferralStatus.ACCEPTED
    ).exists()


def can_refer(user, youth: Youth, from_bureau_id: int) -> bool:
    return can_act_for_bureau(user, from_bureau_id) and can_view_youth(user, youth)


def can_respond_to_referral(user, referral: Referral) -> bool:
    """The receiving bureau or worker answers; never the person who sent it."""
    p = principal_for(user)
    if referral.from_user_id == p.user.pk:
        return False
    return referral.to_user_id == p.user.pk or referral.to_bureau_id in p.casework_bureau_ids


def can_revoke_referral(user, referral: Referral) -> bool:
    p = principal_for(user)
    return referral.from_user_id == p.user.pk or referral.from_bureau_id in p.supervisor_bureau_ids


def can_acknowledge_alert(user, alert: Alert) -> bool:
    return can_act_for_bureau(user, alert.routed_to_id)


def can_decide_triage(user, youth: Youth, bureau_id: int) -> bool:
    return can_act_for_bureau(user, bureau_id) and can_view_youth(user, youth)


def can_complete_referral(user, referral: Referral) -> bool:
    """The receiver says the referred work is done (never the sender)."""
    return can_respond_to_referral(user, referral)


def carriers_of(case: Case) -> set[int]:
    """Everyone who ever carried the case: its assignee now, every assignee it had before
    (``CaseAssigneeChange``), and everyone who ever asked for its closure (``CaseStatusChange``)."""
    people = {case.assignee_id, case.closure_requested_by_id}
    for before, after in CaseAssigneeChange.objects.filter(case_id=case.pk).values_list(
        "from_assignee_id", "to_assignee_id"
    ):
        people |= {before, after}
    people |= set(
        CaseStatusChange.objects.filter(case_id=case.pk, to_status=CaseStatus.CLOSURE_REQUESTED).values_list(
            "by_id", flat=True
        )
    )
    people.discard(None)
    return people


def can_approve_closure(user, case: Case) -> bool:
    """A supervisor of the lead bureau decides on closure, but never one who ever carried the case or asked
    for its closure (no one approves their own work, and handing the case on first does not change that)."""
    p = principal_for(user)
    return (
        case.lead_bureau_id in p.supervisor_bureau_ids
        and p.user.pk not in carriers_of(case)
        and can_view_case(user, case)
    )


def can_own_planned_service(user, case: Case) -> bool:
    """A step of a case's plan is owned by name only by a case worker (not a school counsellor) who may
    already read the case (rule 6). Naming an owner tells them the step and puts it on their tasks; it never
    gives them access, so nobody else may be named."""
    return bool(principal_for(user).casework_bureau_ids) and can_view_case(user, case)


def planned_service_owners(case: Case) -> list[User]:
    """Everyone ``can_own_planned_service`` allows for this case, for the plan's form (by username). Rule 6
    names where a case's readers come from (its assignee and opener, its lead bureau, the bureaus and people
    of its referrals and their supervisors, the committee); each of those is then asked the question itself,
    so the list is never wider than the rule."""
    referrals = Referral.objects.filter(case_id=case.pk)
    bureau_ids = {case.lead_bureau_id}
    bureau_ids |= set(Bureau.objects.filter(kind=BureauKind.COMMITTEE).values_list("pk", flat=True))
    for to_bureau, from_bureau in referrals.values_list("to_bureau_id", "from_bureau_id"):
        bureau_ids |= {to_bureau, from_bureau}
    people = {case.assignee_id, case.opened_by_id}
    people |= set(referrals.values_list("to_user_id", flat=True))
    people.discard(None)
    bureau_ids.discard(None)
    candidates = User.objects.filter(
        Q(pk__in=caseworkers_of(bureau_ids).values("pk")) | Q(pk__in=people), is_active=True
    ).order_by("username")
    return [u for u in candidates if can_own_planned_service(u, case)]


def owned_planned_services(user) -> QuerySet[PlannedService]:
    """Steps of case plans naming the user as owner, while the user may read the case (the queryset form of
    ``can_own_planned_service``): when they lose access, the step stops being theirs to see."""
    p = principal_for(user)
    if not p.casework_bureau_ids:
        return PlannedService.objects.none()
    return PlannedService.objects.filter(owner_user_id=p.user.pk, case__in=visible_cases(user))


def can_edit_alert_rules(user) -> bool:
    return principal_for(user).has_role(Role.ADMINISTRATOR)


def can_read_alert_rules(user) -> bool:
    """Case workers see the rules that route work to them; administrators edit them."""
    p = principal_for(user)
    return p.is_caseworker or p.has_role(Role.ADMINISTRATOR, Role.AUDITOR)


def can_read_supervisor_reports(user) -> bool:
    return bool(principal_for(user).supervisor_bureau_ids)


def triage_bureaus(user) -> QuerySet[Bureau]:
    """The bureaus whose triage queue the user works: those they act for."""
    return Bureau.objects.filter(pk__in=principal_for(user).casework_bureau_ids).order_by("code")


# Messages a user receives *as a supervisor of a bureau*, each naming a youth for that bureau's sake.
SUPERVISOR_NOTIFICATIONS = (
    NotificationKind.ALERT_ESCALATED,
    NotificationKind.CLOSURE_REQUESTED,
    NotificationKind.ACCESS_BY_PURPOSE,
)


def visible_notifications(user) -> QuerySet[Notification]:
    """Messages to the user, and to every case-working bureau they belong to, while the role they came for
    lasts (rule 2: when the reason ends, the access ends). A message sent to a supervisor (an escalated alert,
    a closure to decide, an access by stated purpose to review) stays readable only while they are an active
    supervisor of the bureau it is about: a supervisor whose membership ends, or who moves to another bureau,
    no longer reads which youth those were. Other messages to a person (their referrals, cases, tasks and
    contests) stay readable while they hold a case-working role; messages to a bureau, while they work in it."""
    p = principal_for(user)
    if not getattr(user, "is_authenticated", False) or not p.is_caseworker:
        return Notification.objects.none()
    sup = p.supervisor_bureau_ids
    # The grant an access-by-purpose message is about, matched as text (the id sits in the message's detail).
    grant_of_a_supervised_bureau = AccessGrant.objects.annotate(ref=Cast("pk", CharField())).filter(
        ref=OuterRef("grant_ref"), bureau_id__in=sup
    )
    as_supervisor = (
        Q(kind=NotificationKind.ALERT_ESCALATED, alert__routed_to_id__in=sup)
        | Q(kind=NotificationKind.CLOSURE_REQUESTED, case__lead_bureau_id__in=sup)
        | Q(Exists(grant_of_a_supervised_bureau), kind=NotificationKind.ACCESS_BY_PURPOSE)
    )
    personal = Q(user_id=p.user.pk) & (~Q(kind__in=SUPERVISOR_NOTIFICATIONS) | as_supervisor)
    # A message about a youth that sealing has since left empty names a record that counts as never made.
    return (
        Notification.objects.annotate(grant_ref=KT("detail__grant"))
        .filter(personal | Q(bureau_id__in=p.casework_bureau_ids))
        .exclude(youth__in=Youth.objects.filter(sealed_shells()))
    )


# ---------------------------------------------------------------------------------------------------------
# Exports and subject access: what each role may take out of the platform as a file
# ---------------------------------------------------------------------------------------------------------
# An export is a copy that leaves the platform's access control, so it is narrower than what a page shows:
#
# - **Case workers** (juvenile officers, guidance and social workers, supervisors) may export their case list
#   and their referral list: exactly the rows the page shows them, with the page's filters and columns. They
#   carry those cases and need the list for visits, team meetings and handovers.
# - **School counsellors** may not export: they see their own students only, and a file on a school computer
#   is outside the bureaus' records management; their few cases are worked on screen.
# - **Supervisors** may export the supervisor reports of the bureaus they supervise (caseload and deadlines,
#   alert deadlines, overrides of the model): aggregates, with the same rounded counts as the page.
#   The list of the latest overrides (one row per youth) is not exported: it is for review on screen.
# - **Auditors** may export the audit log, filtered as on the page, for an inspection or an inquiry.
# - **Data stewards** export one youth's record for a lawful subject-access request (``privacy``), and nothing
#   else. Subject access is a legal function kept apart from casework: no supervisor or case worker holds it,
#   so nobody who carries a case can take a youth's whole record, across bureaus, out of the platform.
# - **Nobody** exports the youth list (names with youth IDs). A list of named children flagged by a risk
#   platform is exactly the kind of "list" that Chicago's Strategic Subject List and Amsterdam's Top600 became;
#   once it is a file it can be forwarded, merged and kept beyond any retention limit or sealing order, and
#   the need-to-know rules can no longer follow it. Work lists carry youth IDs only; names stay on screen.
# - **Model stewards and administrators** have no exports: model reports are aggregates read on screen, and
#   administration needs no personal data.


def can_export_case_list(user) -> bool:
    p = principal_for(user)
    return bool(p.casework_bureau_ids) and p.is_caseworker


def can_export_referral_list(user) -> bool:
    return can_export_case_list(user)


def can_export_supervisor_reports(user) -> bool:
    return can_read_supervisor_reports(user)


def can_export_audit_log(user) -> bool:
    return can_read_audit_log(user)


def can_export_youth_list(user) -> bool:
    """Never, for anyone (see the section comment above)."""
    return False


def can_handle_subject_access(user) -> bool:
    """Lawful subject-access requests: data stewards only."""
    return principal_for(user).has_role(Role.DATA_STEWARD)


# ---------------------------------------------------------------------------------------------------------
# Liaison meetings (rule 21; docs/meetings.md)
# ---------------------------------------------------------------------------------------------------------
# The committee convenes the bureaus (少年輔導委員會設置及輔導實施辦法, Art. 2). Who runs a meeting sees its agenda
# lines; who takes part sees what they could see anyway, plus what the committee shares for the meeting.


def _committee_membership(user, role: str) -> bool:
    p = principal_for(user)
    if not p.has_role(role):
        return False
    return Membership.objects.filter(
        user_id=p.user.pk, active=True, role=role, bureau__kind=BureauKind.COMMITTEE
    ).exists()


def can_run_meetings(user) -> bool:
    """Schedule meetings, edit agendas, share records for a meeting, record and close the minutes: the
    committee's supervisors and its secretariat."""
    return _committee_membership(user, Role.SUPERVISOR) or _committee_membership(user, Role.SECRETARIAT)


def can_use_meetings(user) -> bool:
    """The meetings list: those who run meetings, and those who may be invited to one (everyone acting for a
    bureau; school counsellors are not participants: a pack would tell them of police and welfare records)."""
    return can_run_meetings(user) or bool(principal_for(user).casework_bureau_ids)


def meeting_participants(bureau_ids) -> QuerySet[User]:
    """Who may be invited to a meeting for the given bureaus: their active case workers (not counsellors)."""
    return caseworkers_of(bureau_ids).order_by("username")


def pack_bureau_ids(user, meeting: Meeting) -> set[int]:
    """The invited bureaus whose pack the user opens: those they supervise, and, if invited by name, those
    they act for."""
    p = principal_for(user)
    invited = set(meeting.invited_bureaus.values_list("pk", flat=True))
    bureaus = invited & set(p.supervisor_bureau_ids)
    if meeting.invitees.filter(pk=p.user.pk).exists():
        bureaus |= invited & set(p.casework_bureau_ids)
    return bureaus


def visible_meetings(user) -> QuerySet[Meeting]:
    """Meetings a user runs (all of them) or takes part in (invited by name, or supervising an invited bureau)."""
    if can_run_meetings(user):
        return Meeting.objects.all()
    p = principal_for(user)
    if not p.casework_bureau_ids:
        return Meeting.objects.none()
    return Meeting.objects.filter(
        Q(invitees=p.user.pk, invited_bureaus__in=p.casework_bureau_ids)
        | Q(invited_bureaus__in=p.supervisor_bureau_ids)
    ).distinct()


def can_edit_meeting(user, meeting: Meeting) -> bool:
    """Agenda, shares, decisions, action items and attendance change while the minutes are open."""
    return can_run_meetings(user) and meeting.status == MeetingStatus.PLANNED


def can_export_minutes(user, meeting: Meeting) -> bool:
    """The minutes name every youth on the agenda: those who run meetings take them out, once final."""
    return can_run_meetings(user) and meeting.status == MeetingStatus.HELD


def meeting_share_until(meeting: Meeting) -> dt.datetime:
    """A share ends at midnight (Taipei) after the meeting's day: long enough to read the pack beforehand and
    to use it in the meeting, never longer."""
    from casework.clock import TAIPEI

    day = timezone.localtime(meeting.starts_at, TAIPEI).date()
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=TAIPEI)


def active_meeting_shares(meeting: Meeting, bureau_id: int) -> QuerySet[MeetingShare]:
    """Shares in force: before their end, and only while the meeting has not been held (closing the minutes
    ends every share of the meeting, whatever its date: insider review 9, F2)."""
    return MeetingShare.objects.filter(
        meeting=meeting,
        meeting__status=MeetingStatus.PLANNED,
        bureau_id=bureau_id,
        expires_at__gt=timezone.now(),
    )


def pack_items(user, meeting: Meeting, bureau_id: int) -> list[tuple[AgendaItem, MeetingShare | None]]:
    """The agenda items of a bureau's pack as this participant may see them: each with the share that lets it
    in, or None where the participant may see the youth anyway (rules 1-6). Items of youth that neither lets
    in are left out, line and all: an agenda line names other bureaus' work. Nothing for a non-participant."""
    if bureau_id not in pack_bureau_ids(user, meeting):
        return []
    items = list(
        meeting.items.filter(removed_at__isnull=True, youth__isnull=False)
        .exclude(youth__in=Youth.objects.filter(sealed_shells()))
        .select_related("youth")
    )
    visible = set(visible_youth(user).filter(pk__in=[i.youth_id for i in items]).values_list("pk", flat=True))
    shares: dict[int, MeetingShare] = {}
    for share in active_meeting_shares(meeting, bureau_id).order_by("granted_at"):
        shares[share.item_id] = share
    out = []
    for item in items:
        share = shares.get(item.pk)
        if item.youth_id in visible or share is not None:
            out.append((item, share))
    return out


@dataclass(frozen=True)
class PackEntry:
    """One youth in a pack, as one participant may see it."""

    item: AgendaItem
    share: MeetingShare | None
    timeline: Timeline
    cases: list[Case]  # case content shown in full
    other_cases: list[Case]  # a line each: "a case led by X exists"


def pack_entry(user, item: AgendaItem, share: MeetingShare | None, bureau_id: int) -> PackEntry:
    """What the pack shows of the item's youth: rule 5 as for the youth page (the bureau's own sources in full,
    others as a count), raised to full for the sources the share names; case content where rule 6 allows or
    the share includes it. Events come from the unsealed manager only: a sealed record is never in a pack."""
    youth = item.youth
    kind = Bureau.objects.get(pk=bureau_id).kind
    if can_view_youth(user, youth):
        levels = event_detail_by_source(user, youth)
    else:
        levels = {
            source: Detail.FULL if kind in readers else Detail.CATEGORY
            for source, readers in SOURCE_READERS.items()
        }
    if share is not None:
        for source in share.sources:
            if source in levels:
                levels[source] = Detail.FULL
    full = [s for s, lvl in levels.items() if lvl == Detail.FULL]
    events = list(
        Event.objects.filter(youth=youth, source__in=full).select_related("school", "owning_bureau")
    )
    counts = {}
    for source in (s for s, lvl in levels.items() if lvl == Detail.CATEGORY):
        n = Event.objects.filter(youth=youth, source=source).count()
        if n:
            counts[source] = n
    readable = set(visible_cases(user).filter(youth=youth).values_list("pk", flat=True))
    youth_cases = list(youth.cases.select_related("lead_bureau").order_by("-opened_at"))
    shown = [
        c for c in youth_cases if c.pk in readable or (share is not None and share.case_content and c.is_open)
    ]
    others = [c for c in youth_cases if c not in shown]
    return PackEntry(
        item=item,
        share=share,
        timeline=Timeline(events=events, restricted_counts=counts, levels=levels),
        cases=shown,
        other_cases=others,
    )


def visible_meeting_shares(user) -> QuerySet[MeetingShare]:
    """Shares for review: auditors see all; committee supervisors see all (the committee made them)."""
    p = principal_for(user)
    shares = MeetingShare.objects.exclude(youth__in=Youth.objects.filter(sealed_shells()))
    if p.has_role(Role.AUDITOR) or _committee_membership(user, Role.SUPERVISOR):
        return shares
    return MeetingShare.objects.none()


def can_read_meeting_shares(user) -> bool:
    return principal_for(user).has_role(Role.AUDITOR) or _committee_membership(user, Role.SUPERVISOR)


def can_review_meeting_share(user, share: MeetingShare) -> bool:
    """An auditor, or a committee supervisor who did not make the share (nobody reviews their own)."""
    p = principal_for(user)
    if share.granted_by_id == p.user.pk:
        return False
    return p.has_role(Role.AUDITOR) or _committee_membership(user, Role.SUPERVISOR)


def owned_action_items(user) -> QuerySet[ActionItem]:
    """Action items the user owns: named to them, or to a bureau they act for (as a case worker)."""
    p = principal_for(user)
    if not p.is_caseworker or not getattr(user, "is_authenticated", False):
        return ActionItem.objects.none()
    return ActionItem.objects.filter(
        Q(owner_user_id=p.user.pk) | Q(owner_bureau_id__in=p.casework_bureau_ids)
    )


def visible_action_items(user) -> QuerySet[ActionItem]:
    """Those who run meetings see every action item; everyone else, the ones they own."""
    if can_run_meetings(user):
        return ActionItem.objects.all()
    return owned_action_items(user)


def agenda_youth_candidates() -> QuerySet[Youth]:
    """The youth a meeting runner may put on an agenda by youth ID: those the committee has a record about (its
    cases, referrals to or from it, alerts routed to it) or that an agenda already names. Any other ID, whether
    it exists or not, gets the same refusal, so the form is no oracle for who exists (insider review 11)."""
    committee = Bureau.objects.filter(kind=BureauKind.COMMITTEE).values("pk")
    known = (
        Q(pk__in=Case.objects.filter(lead_bureau_id__in=committee).values("youth_id"))
        | Q(
            pk__in=Referral.objects.filter(
                Q(to_bureau_id__in=committee) | Q(from_bureau_id__in=committee)
            ).values("youth_id")
        )
        | Q(pk__in=Alert.objects.filter(routed_to_id__in=committee).values("youth_id"))
        | Q(pk__in=AgendaItem.objects.filter(youth__isnull=False).values("youth_id"))
    )
    return Youth.objects.filter(known, merged_into__isnull=True).exclude(sealed_shells())


def can_complete_action_item(user, action: ActionItem) -> bool:
    """Only its owner (the person, or a case worker of the bureau) says it is done. Those who run meetings see
    every action item but may not close another bureau's follow-up: it would drop off the owner's tasks and off
    the next agenda without the owner ever saying it was done (insider review 11)."""
    if action.is_done:
        return False
    return owned_action_items(user).filter(pk=action.pk).exists()


def action_item_youth_shown(user, action: ActionItem) -> bool:
    """An action item's youth ID is shown only to whom may see the youth (or who runs meetings)."""
    youth = action.item.youth
    return youth is None or can_run_meetings(user) or can_view_youth(user, youth)


def pack_item_line_shown(user, item: AgendaItem, share: MeetingShare | None) -> bool:
    """Whether a participant reads why a youth in their pack is on the agenda (the kind of stuck work, the
    bureaus concerned): when the committee shared it, or when they may read the record behind it (the
    referral, alert or case); otherwise the pack says only that the youth is on the agenda."""
    if share is not None or can_run_meetings(user):
        return True
    if item.referral_id:
        return visible_referrals(user).filter(pk=item.referral_id).exists()
    if item.alert_id:
        return visible_alerts(user).filter(pk=item.alert_id).exists()
    if item.case_id:
        return visible_cases(user).filter(pk=item.case_id).exists()
    if item.follows_up_id:
        return owned_action_items(user).filter(pk=item.follows_up_id).exists()
    return item.kind == "other"
