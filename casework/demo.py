"""A small, hand-made synthetic city for the demo: bureaus, schools, one user per role, youth with events,
alerts, cases, referrals and interventions. Every name and ID is invented by this generator.

The data flows through the same services as real work, so the demo exercises the real rules.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from casework.access.audit import Actor
from casework.cases import services as case_services
from casework.models import (
    Bureau,
    ConsentBasis,
    Enrollment,
    EventKind,
    InterventionKind,
    Membership,
    Role,
    School,
    TriageDecisionKind,
    User,
    Youth,
)
from casework.reference import BUREAUS
from casework.triage import services as triage_services
from casework.youth import services as youth_services

DEMO_PASSWORD = "demo-pass-2026"

DISTRICTS = [
    "桃園區",
    "中壢區",
    "平鎮區",
    "八德區",
    "楊梅區",
    "蘆竹區",
    "龜山區",
    "龍潭區",
    "大溪區",
    "大園區",
]

# Invented schools: names are generic "district + number" forms, not real schools.
SCHOOLS = [
    ("J01", "桃園第一示範國中", "Demo Junior High No. 1 (Taoyuan)", "桃園區"),
    ("J02", "中壢第二示範國中", "Demo Junior High No. 2 (Zhongli)", "中壢區"),
    ("J03", "平鎮第三示範國中", "Demo Junior High No. 3 (Pingzhen)", "平鎮區"),
    ("J04", "八德第四示範國中", "Demo Junior High No. 4 (Bade)", "八德區"),
    ("S01", "桃園示範高中", "Demo Senior High (Taoyuan)", "桃園區"),
    ("S02", "中壢示範高中", "Demo Senior High (Zhongli)", "中壢區"),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    bureau: str
    role: str
    school: str | None = None
    staff: bool = False


USERS = [
    DemoUser("officer", "志明", "警", "police", Role.JUVENILE_OFFICER),
    DemoUser("guidance", "雅婷", "輔", "committee", Role.GUIDANCE_WORKER),
    DemoUser("social", "淑芬", "社", "welfare", Role.SOCIAL_WORKER),
    DemoUser("counsellor", "美玲", "師", "education", Role.SCHOOL_COUNSELLOR, school="J01"),
    DemoUser("supervisor", "建國", "督", "committee", Role.SUPERVISOR),
    DemoUser("police_supervisor", "國華", "隊", "police", Role.SUPERVISOR),
    DemoUser("welfare_supervisor", "麗華", "長", "welfare", Role.SUPERVISOR),
    DemoUser("steward", "怡君", "資", "committee", Role.DATA_STEWARD),
    DemoUser("modeller", "家豪", "模", "committee", Role.MODEL_STEWARD),
    DemoUser("auditor", "俊傑", "稽", "committee", Role.AUDITOR),
    DemoUser("admin", "承恩", "管", "committee", Role.ADMINISTRATOR, staff=True),
    DemoUser("secretariat", "佩玲", "秘", "committee", Role.SECRETARIAT),
]

SURNAMES = ["陳", "林", "黃", "張", "李", "王", "吳", "劉", "蔡", "楊", "許", "鄭", "謝", "郭", "洪", "曾"]
SURNAME_WEIGHTS = [11, 8, 6, 5, 5, 4, 4, 3, 3, 2.6, 2.3, 2, 1.9, 1.7, 1.5, 1.4]
GIVEN_CHARS = list("家豪怡君冠宇宗翰承恩詠晴子涵品妍柏翰宇軒佳穎思妤俊傑雅婷志明淑芬彥廷芷若")
STREETS = ["中正路", "民族路", "復興路", "中山路", "建國路", "成功路", "光明街", "自強街"]

LETTER_CODES = {"H": 17}


def make_national_id(rng: random.Random, sex: str) -> str:
    """A checksum-valid ID with the Taoyuan letter H, made up by the generator."""
    body = [1 if sex == "M" else 2] + [rng.randrange(10) for _ in range(7)]
    code = LETTER_CODES["H"]
    weights = [8, 7, 6, 5, 4, 3, 2, 1]
    total = (code // 10) * 1 + (code % 10) * 9 + sum(d * w for d, w in zip(body, weights, strict=True))
    check = (10 - total % 10) % 10
    return "H" + "".join(map(str, body)) + str(check)


def ensure_reference_data() -> dict[str, Bureau]:
    """Bureaus and schools (idempotent)."""
    bureaus = {}
    for code, kind, zh, en in BUREAUS:
        bureaus[code], _ = Bureau.objects.update_or_create(
            code=code, defaults={"kind": kind, "name_zh": zh, "name_en": en}
        )
    for code, zh, en, district in SCHOOLS:
        School.objects.update_or_create(
            code=code,
            defaults={"name_zh": zh, "name_en": en, "district": district, "bureau": bureaus["education"]},
        )
    return bureaus


def ensure_demo_users(bureaus: dict[str, Bureau], *, counsellor_school: str | None = None) -> dict[str, User]:
    """One user per role (idempotent); every demo user has the password DEMO_PASSWORD. The counsellor
    works at ``counsellor_school`` when given (the synthetic city's own schools), else at J01."""
    users = {}
    for spec in USERS:
        user, created = User.objects.get_or_create(
            username=spec.username,
            defaults={"first_name": spec.first_name, "last_name": spec.last_name, "is_staff": spec.staff},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        code = (counsellor_school or spec.school) if spec.school else None
        school = School.objects.get(code=code) if code else None
        Membership.objects.get_or_create(
            user=user, bureau=bureaus[spec.bureau], role=spec.role, school=school
        )
        users[spec.username] = user
    return users


def _actor(user: User) -> Actor:
    return Actor(user=user, path="demo:seed", purpose="demo data")


@transaction.atomic
def build_demo_city(*, youth_count: int = 300, seed: int = 2026) -> dict[str, int]:
    """Create the demo city unless youth already exist; returns what was created."""
    bureaus = ensure_reference_data()
    users = ensure_demo_users(bureaus)
    if Youth.objects.exists():
        return {"youth": 0}
    rng = random.Random(seed)
    today = timezone.localdate()
    schools = list(School.objects.all())
    junior = [s for s in schools if s.code.startswith("J")]
    senior = [s for s in schools if s.code.startswith("S")]
    counts = {"youth": 0, "events": 0, "alerts": 0, "cases": 0, "referrals": 0, "interventions": 0}
    households: list[tuple[str, str, str]] = []

    for i in range(youth_count):
        sex = rng.choice("MF")
        age_days = rng.randint(12 * 365 + 10, 17 * 365 + 300)
        birth = today - dt.timedelta(days=age_days)
        # Siblings: a share of youth share a household (address and surname) with an earlier one.
        if households and rng.random() < 0.15:
            surname, district, address = rng.choice(households)
        else:
            surname = rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]
            district = rng.choice(DISTRICTS)
            address = f"桃園市{district}{rng.choice(STREETS)}{rng.randint(1, 400)}號"
            households.append((surname, district, address))
        name = surname + "".join(rng.sample(GIVEN_CHARS, 2))
        youth = youth_services.create_youth(
            name=name,
            birth_date=birth,
            sex=sex,
            national_id=make_national_id(rng, sex) if rng.random() > 0.05 else "",
            district=district,
            address=address,
            indigenous=rng.random() < 0.03,
            new_immigrant_parent=rng.random() < 0.11,
        )
        counts["youth"] += 1
        age = youth.age_on(today)
        # The first fifty go to J01 so the demo counsellor has students to see.
        school = junior[0] if i < 50 else rng.choice(junior if age < 15 else senior)
        Enrollment.objects.create(
            youth=youth,
            school=school,
            student_no=f"{today.year - age + 12}{i:05d}",
            grade=min(12, max(7, age - 5)),
            enrolled_on=today - dt.timedelta(days=rng.randint(200, 900)),
        )
        risk = rng.betavariate(1.2, 6)
        counts["events"] += _events_for(rng, youth, school, bureaus, risk, today)
        if risk > 0.3 or i < 12:
            counts.update(_casework_for(rng, youth, bureaus, users, counts))
    from casework.triage.alerting import escalate_overdue_alerts

    counts["escalated"] = escalate_overdue_alerts()
    return counts


def _events_for(rng, youth, school, bureaus, risk, today) -> int:
    n = 0

    def add(kind, days_ago, code="", bureau="education", lag=0, school_=None, details=None):
        nonlocal n
        event_date = today - dt.timedelta(days=days_ago)
        youth_services.record_event(
            youth=youth,
            kind=kind,
            event_date=event_date,
            knowledge_date=min(today, event_date + dt.timedelta(days=lag)),
            owning_bureau=bureaus[bureau],
            school=school_,
            code=code,
            details=details or {},
        )
        n += 1

    for _ in range(int(rng.expovariate(1 / (2 + 25 * risk)))):
        add(
            EventKind.ABSENCE,
            rng.randint(1, 700),
            code="unexcused" if rng.random() < 0.3 + risk else "excused",
            school_=school,
        )
    if rng.random() < risk * 0.5:
        days = rng.randint(5, 400)
        add(EventKind.DROPOUT_REPORTED, days, code="A1", lag=1, school_=school)
        if rng.random() < 0.6 and days > 30:
            add(EventKind.DROPOUT_RETURNED, days - rng.randint(10, 30), school_=school)
    if rng.random() < risk * 0.6:
        add(
            EventKind.CAMPUS_INCIDENT,
            rng.randint(1, 500),
            code=rng.choice(["violence", "bullying", "drugs"]),
            lag=1,
            school_=school,
            details={"severity": rng.choice(["urgent", "legal", "general"])},
        )
    if rng.random() < risk:
        add(
            EventKind.COUNSELLING_TIER,
            rng.randint(30, 600),
            code=str(rng.choice([1, 2, 2, 3])),
            school_=school,
        )
    if rng.random() < risk * 0.7:
        add(
            EventKind.POLICE_DEVIANT,
            rng.randint(1, 500),
            code="late_night_loitering",
            bureau="police",
            lag=rng.randint(0, 5),
        )
    if rng.random() < risk * 0.4:
        add(
            EventKind.POLICE_OFFENCE,
            rng.randint(1, 500),
            code=rng.choice(["fraud_mule", "theft", "assault"]),
            bureau="police",
            lag=rng.randint(1, 20),
        )
    if rng.random() < risk * 0.25:
        add(
            EventKind.POLICE_EXPOSURE,
            rng.randint(1, 300),
            code=rng.choice(["weapon", "drugs"]),
            bureau="police",
            lag=rng.randint(0, 7),
        )
    if rng.random() < risk * 0.35:
        add(
            EventKind.CHILD_PROTECTION,
            rng.randint(1, 600),
            code="neglect",
            bureau="welfare",
            lag=rng.randint(0, 3),
            details={"level": rng.choice(["high", "medium", "low"]), "substantiated": rng.random() < 0.5},
        )
    if rng.random() < risk * 0.4:
        add(
            EventKind.FRAGILE_FAMILY,
            rng.randint(1, 600),
            code="economic",
            bureau="welfare",
            lag=rng.randint(0, 10),
            details={"level": rng.choice(["high", "medium", "low"])},
        )
    if rng.random() < 0.08 + risk * 0.3:
        add(EventKind.ASSISTANCE_STATUS, rng.randint(30, 700), code="low_income", bureau="welfare")
    return n


def _casework_for(rng, youth, bureaus, users, counts) -> dict[str, int]:
    """The focal-linkage rules raise this youth's alerts (as the import did), then people respond through the
    same services as real work: some alerts are decided into cases or referrals, some cases move on through
    assessment, planning, intervention and monitoring, a few await closure approval; the rest stay in the
    triage queues for the demo users."""
    from casework.triage.alerting import raise_event_alerts

    counts["alerts"] += raise_event_alerts(youth.events.all())
    alerts = {a.routed_to.code: a for a in youth.alerts.filter(status__in=["open", "acknowledged"])}
    if "welfare" in alerts and rng.random() < 0.6:
        social = users["social"]
        triage_services.acknowledge_alert(actor=_actor(social), alert=alerts["welfare"])
        decision = triage_services.decide_alert(
            actor=_actor(social),
            alert=alerts["welfare"],
            decision=TriageDecisionKind.OPEN_CASE,
            reason_code="legal_duty",
            note="家庭支持與安全評估。Family support and safety assessment.",
            assignee=social,
        )
        counts["cases"] += 1
        counts["interventions"] += _interventions(rng, decision.case, social)
        _progress(rng, decision.case, social, users)
    elif "committee" in alerts and rng.random() < 0.55:
        guidance = users["guidance"]
        decision = triage_services.decide_alert(
            actor=_actor(guidance),
            alert=alerts["committee"],
            decision=TriageDecisionKind.OPEN_CASE,
            reason_code="needs_support",
            note="主動關懷與輔導。Supportive outreach and guidance.",
            assignee=guidance,
        )
        case = decision.case
        counts["cases"] += 1
        counts["interventions"] += _interventions(rng, case, guidance)
        if rng.random() < 0.4:
            case_services.refer(
                actor=_actor(guidance),
                youth=youth,
                case=case,
                from_bureau=bureaus["committee"],
                to_bureau=bureaus["welfare"],
                reason="家庭經濟與照顧需求評估。Assess the family's economic and care needs.",
                consent=ConsentBasis.OBTAINED,
            )
            counts["referrals"] += 1
        _progress(rng, case, guidance, users)
    if "police" in alerts and rng.random() < 0.25:
        officer = users["officer"]
        triage_services.decide_alert(
            actor=_actor(officer),
            alert=alerts["police"],
            decision=TriageDecisionKind.REFER,
            reason_code="better_placed",
            note="轉介少輔會評估。Refer to the committee for assessment.",
            to_bureau=bureaus["committee"],
            consent=ConsentBasis.OVERRIDE,
            consent_note="少年事件處理法第18條通知。Notification under Juvenile Justice Act Art. 18.",
        )
        counts["referrals"] += 1
    return counts


# How far along the demo takes each worker's cases, in turn (5 = closure requested; 0 = just opened), so
# that every worker's list holds cases at every step and each supervisor has a closure to approve however
# few cases the city gives that worker.
_PROGRESS = (5, 0, 3, 1, 4, 5, 0, 3)


def _progress(rng, case, worker, users) -> None:
    """Move a demo case some way along its statuses; the last step asks for closure after the monitoring
    period (the monitoring start is back-dated, the one liberty the demo takes)."""
    earlier = type(case).objects.filter(assignee=worker, pk__lt=case.pk).count()
    steps = _PROGRESS[earlier % len(_PROGRESS)]
    actor = _actor(worker)

    def move(name, **kw):
        nonlocal case
        case = case_services.move_case(actor=actor, case=case, move=name, expected_version=case.version, **kw)

    if steps >= 1:
        move("start_assessment")
    if steps >= 3:
        case = case_services.update_case(
            actor=actor, case=case, expected_version=case.version,
            assessment="需求：穩定就學與家庭支持。Needs: steady schooling and family support.",
        )  # fmt: skip
        move("start_planning")
        case = case_services.update_case(
            actor=actor, case=case, expected_version=case.version,
            plan="每週會談、家訪、聯繫學校。Weekly sessions, home visits, school liaison.",
        )  # fmt: skip
        move("start_intervention")
    if steps >= 4:
        move("start_monitoring")
    if steps >= 5:
        type(case).objects.filter(pk=case.pk).update(
            monitoring_since=timezone.localdate() - dt.timedelta(days=rng.randint(190, 260))
        )
        case.refresh_from_db()
        move(
            "request_closure",
            closure_reason="goals_met",
            note="目標達成，追蹤期滿。Goals met; monitoring served.",
        )


def _interventions(rng, case, worker) -> int:
    n = rng.randint(0, 4)
    today = timezone.localdate()
    for _ in range(n):
        day = today - dt.timedelta(days=rng.randint(1, 60))
        case_services.log_intervention(
            actor=_actor(worker),
            case=case,
            kind=rng.choice(list(InterventionKind.values)),
            occurred_on=day,
            duration_minutes=rng.choice([30, 45, 60, 90]),
            notes="會談紀錄（示範）。Session notes (demo).",
            outcome=rng.choice(["願意再見面", "家長同意合作", "需再追蹤"]),
            next_step=rng.choice(["兩週後家訪", "聯繫學校輔導室", "安排就業媒合"]),
            next_due=day + dt.timedelta(days=rng.choice([7, 14, 21])),
        )
    return n
