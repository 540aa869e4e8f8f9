"""Shared fixtures: a small world in which every need-to-know relationship appears once."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from casework.access.audit import Actor
from casework.models import (
    Alert,
    Bureau,
    BureauKind,
    Case,
    CaseStatus,
    ConcernType,
    Enrollment,
    EventKind,
    Membership,
    Referral,
    ReferralStatus,
    Role,
    School,
    User,
)
from casework.youth import services as youth_services

PASSWORD = "test-password-123"

# username -> (bureau code, role, school code)
USER_SPECS = {
    "officer": ("police", Role.JUVENILE_OFFICER, None),
    "guidance": ("committee", Role.GUIDANCE_WORKER, None),
    "guidance2": ("committee", Role.GUIDANCE_WORKER, None),
    "social": ("welfare", Role.SOCIAL_WORKER, None),
    "counsellor": ("education", Role.SCHOOL_COUNSELLOR, "J01"),
    "supervisor": ("committee", Role.SUPERVISOR, None),
    "police_supervisor": ("police", Role.SUPERVISOR, None),
    "steward": ("committee", Role.DATA_STEWARD, None),
    "modeller": ("committee", Role.MODEL_STEWARD, None),
    "auditor": ("committee", Role.AUDITOR, None),
    "admin": ("committee", Role.ADMINISTRATOR, None),
    "secretariat": ("committee", Role.SECRETARIAT, None),
}
# One user of each role (and two supervisors, of different bureaus): the users a test runs "as each role".
ONE_PER_ROLE = [u for u in USER_SPECS if u != "guidance2"]


def make_user(username: str, bureau: Bureau, role: str, school: School | None = None, **extra) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, **extra)
    Membership.objects.create(user=user, bureau=bureau, role=role, school=school)
    return user


def actor(user: User) -> Actor:
    return Actor(user=user, ip_address="127.0.0.1", path="test")


@pytest.fixture
def world(db):
    """Bureaus, schools, a user per role, and youth that each stand for one access rule."""
    today = timezone.localdate()
    now = timezone.now()
    b = SimpleNamespace(
        **{
            code: Bureau.objects.update_or_create(
                kind=kind, defaults={"code": code, "name_zh": code, "name_en": code.title()}
            )[0]
            for code, kind in [
                ("police", BureauKind.POLICE),
                ("committee", BureauKind.COMMITTEE),
                ("welfare", BureauKind.WELFARE),
                ("education", BureauKind.EDUCATION),
            ]
        }
    )
    j01 = School.objects.create(
        code="J01", name_zh="示範一中", name_en="Demo 1", district="桃園區", bureau=b.education
    )
    j02 = School.objects.create(
        code="J02", name_zh="示範二中", name_en="Demo 2", district="中壢區", bureau=b.education
    )
    schools = {"J01": j01, "J02": j02}
    users = SimpleNamespace(
        **{
            name: make_user(
                name,
                getattr(b, bureau),
                role,
                schools.get(school),
                is_staff=(role == Role.ADMINISTRATOR),
            )
            for name, (bureau, role, school) in USER_SPECS.items()
        }
    )

    def youth(name, **kw):
        return youth_services.create_youth(
            name=name,
            birth_date=today - dt.timedelta(days=15 * 365),
            sex="M",
            national_id="H123456789",
            district="桃園區",
            indigenous=True,
            new_immigrant_parent=True,
            **kw,
        )

    def event(y, kind, bureau, school=None, days_ago=10, code=""):
        d = today - dt.timedelta(days=days_ago)
        return youth_services.record_event(
            youth=y, kind=kind, event_date=d, knowledge_date=d, owning_bureau=bureau, school=school, code=code
        )

    y = SimpleNamespace()
    # An open committee case assigned to "guidance", with events from all three sources.
    y.case = youth("甲案例")
    Enrollment.objects.create(
        youth=y.case, school=j02, student_no="S-CASE", enrolled_on=today - dt.timedelta(days=400)
    )
    event(y.case, EventKind.ABSENCE, b.education, j02, code="unexcused")
    event(y.case, EventKind.POLICE_OFFENCE, b.police, code="theft")
    event(y.case, EventKind.CHILD_PROTECTION, b.welfare, code="neglect")
    case = Case.objects.create(
        youth=y.case,
        lead_bureau=b.committee,
        assignee=users.guidance,
        opened_by=users.guidance,
        concern=ConcernType.HIGH_CONCERN,
        summary="Outreach plan",
    )
    # An active alert routed to the police.
    y.alert = youth("乙警示")
    offence = event(y.alert, EventKind.POLICE_DEVIANT, b.police, code="late_night_loitering")
    event(y.alert, EventKind.ABSENCE, b.education, j02)
    alert = Alert.objects.create(
        youth=y.alert,
        reason="offence_court_referral",
        routed_to=b.police,
        due_at=now + dt.timedelta(days=3),
        source_event=offence,
    )
    # A pending referral from the committee to social welfare.
    y.referred = youth("丙轉介")
    event(y.referred, EventKind.FRAGILE_FAMILY, b.welfare, code="economic")
    referral = Referral.objects.create(
        youth=y.referred,
        from_bureau=b.committee,
        from_user=users.guidance,
        to_bureau=b.welfare,
        reason="Family support",
        consent="obtained",
        status=ReferralStatus.PENDING,
    )
    # A closed committee case: supervisors still see it, workers no longer do.
    y.closed = youth("丁結案")
    closed_case = Case.objects.create(
        youth=y.closed,
        lead_bureau=b.committee,
        assignee=users.guidance,
        opened_by=users.guidance,
        concern=ConcernType.DEVIANT,
        status=CaseStatus.CLOSED,
        closed_at=now,
    )
    # A current student of the counsellor's school with a police record.
    y.student = youth("戊學生")
    Enrollment.objects.create(
        youth=y.student, school=j01, student_no="S-001", enrolled_on=today - dt.timedelta(days=300)
    )
    event(y.student, EventKind.ABSENCE, b.education, j01, code="unexcused")
    event(y.student, EventKind.POLICE_DEVIANT, b.police, code="late_night_loitering")
    # A former student of that school.
    y.former = youth("己轉學")
    Enrollment.objects.create(
        youth=y.former,
        school=j01,
        student_no="S-002",
        enrolled_on=today - dt.timedelta(days=700),
        left_on=today - dt.timedelta(days=30),
    )
    # Nobody has any reason to see this one.
    y.none = youth("庚無關")
    event(y.none, EventKind.POLICE_OFFENCE, b.police, code="fraud_mule")

    return SimpleNamespace(
        b=b,
        schools=schools,
        u=users,
        y=y,
        case=case,
        closed_case=closed_case,
        alert=alert,
        referral=referral,
        today=today,
        now=now,
    )
