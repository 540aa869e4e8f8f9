"""Findings of a hostile-insider review (issue 13), each as the rule it now keeps, with the allowed and the
refused side: reasons that count other bureaus' records, the current school in the police's queue, reads that
were not logged, national IDs in URLs, closure approved by a former carrier, messages to a supervisor who no
longer is one, and escalation of acknowledged alerts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from casework import notifications
from casework.access import policy
from casework.access import services as access_services
from casework.cases import services as case_services
from casework.identifiers import mask_national_id, redact_national_ids
from casework.models import (
    Alert,
    AlertStatus,
    AuditAction,
    AuditEntry,
    Case,
    CaseAssigneeChange,
    CaseStatus,
    ClosureReason,
    Enrollment,
    Membership,
    Notification,
    NotificationKind,
    ReferralKind,
    RiskScore,
    Role,
)
from casework.triage import alerting
from casework.triage import services as triage_services
from tests.fixtures import PASSWORD, actor, make_user

WITHHELD = "a factor from records you have no reason to see"
NOT_SHOWN = "Risk scores are not shown to your role, for any youth"


def login(client, username: str):
    assert client.login(username=username, password=PASSWORD)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    return client


def reason(text: str, shap: float, *, source: str, reads: list[str] | None = None, key: str = "k") -> dict:
    made = {
        "key": key,
        "direction": "up" if shap > 0 else "down",
        "value": 2,
        "shap": shap,
        "source": source,
        "text_zh": text,
        "text_en": text,
    }
    if reads is not None:
        made["reads"] = reads
    return made


def alert_for(world, youth, bureau, *, due_in=dt.timedelta(days=3), status=AlertStatus.OPEN) -> Alert:
    return Alert.objects.create(
        youth=youth, reason="t_review", routed_to=bureau, due_at=timezone.now() + due_in, status=status
    )


def youth_page(client, youth) -> str:
    response = client.get(reverse("youth-detail", args=[youth.public_id]))
    assert response.status_code == 200
    return response.content.decode()


def risk_section(html: str) -> str:
    return html[html.index('id="risk"') : html.index('id="alerts"')]


# ---------------------------------------------------------------------------------------------------------
# 1. A reason is a detail of every source it counts (rule 5), and rule 4 hides even that it exists
# ---------------------------------------------------------------------------------------------------------

SCHOOL_R = "unexcused absences in the last 90 days: 6 days"
POLICE_R = "police contacts for deviant behaviour in the last year: 1"
BUREAUS_R = "bureaus with records about the youth in the last year: 2"
KINDS_R = "kinds of record about the youth in the last year: 2"
AGE_R = "age: 15.2"
CASES_R = "cases opened in the last two years: 1"
WORK_R = "interventions logged in the last year: 3"


@pytest.fixture
def scored_student(world):
    """The counsellor's student (school and police records), scored with single- and cross-source reasons,
    with an alert in the police's and the committee's queue so that an officer and a guidance worker see them."""
    y = world.y.student
    RiskScore.objects.create(
        youth=y,
        as_of=world.today,
        score=0.61,
        band="high",
        rank=3,
        model_version="risk-v9",
        reasons=[
            reason(BUREAUS_R, 0.9, source="casework", reads=["education", "police", "welfare"]),
            reason(POLICE_R, 0.7, source="police", reads=["police"]),
            reason(SCHOOL_R, 0.5, source="school", reads=["education"]),
            reason(KINDS_R, 0.4, source="casework", reads=["education", "police", "welfare"]),
            reason(AGE_R, -0.3, source="casework", reads=["identity"]),
            reason(CASES_R, 0.2, source="casework", reads=["cases"]),
            reason(WORK_R, 0.1, source="casework", reads=["interventions"]),
        ],
    )
    alert_for(world, y, world.b.police)
    alert_for(world, y, world.b.committee)
    return y


class TestReasonsThatCountOtherSources:
    def test_a_counsellor_sees_no_reason_not_even_the_school_ones(self, client, world, scored_student):
        """Rule 19: a counsellor sees no score at all, so no reason either (a school reason's size is part of a
        score that police and welfare records also drive)."""
        risk = risk_section(youth_page(login(client, "counsellor"), scored_student))
        for hidden in (BUREAUS_R, KINDS_R, POLICE_R, SCHOOL_R, AGE_R, CASES_R, WORK_R):
            assert hidden not in risk, hidden
        assert WITHHELD not in risk and '<tr class="reason-' not in risk
        assert NOT_SHOWN in risk

    def test_the_committee_reads_every_reason(self, client, world, scored_student):
        risk = risk_section(youth_page(login(client, "guidance"), scored_student))
        for shown in (BUREAUS_R, KINDS_R, POLICE_R, SCHOOL_R, AGE_R, CASES_R, WORK_R):
            assert shown in risk, shown
        assert WITHHELD not in risk and NOT_SHOWN not in risk

    def test_an_officer_reads_police_age_and_case_reasons_and_sees_the_rest_withheld_in_place(
        self, client, world, scored_student
    ):
        risk = risk_section(youth_page(login(client, "officer"), scored_student))
        assert POLICE_R in risk and AGE_R in risk and CASES_R in risk and WORK_R in risk
        for withheld in (BUREAUS_R, KINDS_R, SCHOOL_R):
            assert withheld not in risk, withheld
        # In place, with their direction and without their size: the officer knows these records exist
        # (rule 5: "N records from this source exist").
        assert risk.count(WITHHELD) == 3
        assert "0.900" not in risk and "0.400" not in risk and "0.500" not in risk
        assert "0.700" in risk
        assert NOT_SHOWN not in risk

    def test_the_triage_queue_withholds_a_reason_that_counts_other_bureaus(
        self, client, world, scored_student
    ):
        html = login(client, "officer").get(reverse("triage-queue")).content.decode()
        assert BUREAUS_R not in html and WITHHELD in html and POLICE_R in html
        html = login(client, "guidance").get(reverse("triage-queue")).content.decode()
        assert BUREAUS_R in html and WITHHELD not in html

    def test_work_logged_on_a_case_the_viewer_may_not_read_is_withheld(self, client, world, scored_student):
        """Interventions are case content (rule 6): counted in a reason only for those who read every case."""
        Case.objects.create(
            youth=scored_student, lead_bureau=world.b.welfare, opened_by=world.u.social, concern="deviant"
        )
        risk = risk_section(youth_page(login(client, "officer"), scored_student))
        assert WORK_R not in risk and CASES_R in risk  # the case's existence is told to them (rule 6)
        risk = risk_section(youth_page(login(client, "guidance"), scored_student))
        assert WORK_R in risk

    def test_a_reason_that_does_not_say_what_it_reads_is_withheld_unless_the_viewer_reads_everything(
        self, client, world
    ):
        """Scores stored before reasons named what they read: a single-source reason keeps its source's rule;
        one on the platform's own records might count anything, so only the committee reads it."""
        legacy = "bureaus with records (stored before reads)"
        RiskScore.objects.create(
            youth=world.y.alert, as_of=world.today, score=0.3, band="high", rank=4, model_version="risk-v8",
            reasons=[reason(legacy, 0.5, source="casework"), reason(POLICE_R, 0.4, source="police")],
        )  # fmt: skip
        risk = risk_section(youth_page(login(client, "officer"), world.y.alert))
        assert legacy not in risk and POLICE_R in risk and risk.count(WITHHELD) == 1
        alert_for(world, world.y.alert, world.b.committee)
        risk = risk_section(youth_page(login(client, "guidance"), world.y.alert))
        assert legacy in risk

    def test_what_a_stored_reason_reads(self):
        assert policy.reads_of({"reads": ["education", "police"]}) == {"school", "police"}
        assert policy.reads_of({"reads": ["identity"]}) == {"identity"}
        assert policy.reads_of({"source": "welfare"}) == {"welfare"}
        # Unsaid, empty or unknown: everything a viewer could be refused (fail closed).
        for unsure in ({"source": "casework"}, {}, {"reads": []}, {"reads": ["police", "court"]}):
            assert policy.reads_of(unsure) == policy.EVERYTHING_READ, unsure

    def test_the_catalogue_says_what_each_indicator_reads_in_names_the_policy_knows(self):
        from riskmodel import indicators

        for indicator in indicators.CATALOGUE:
            assert indicator.reads and set(indicator.reads) <= set(indicators.READS), indicator.key
            # Every name it uses is one the policy knows (an unknown one would withhold the reason from all).
            assert policy.reads_of({"reads": list(indicator.reads)}) != policy.EVERYTHING_READ, indicator.key
        every_bureau = {"education", "police", "welfare"}
        for key in ("bureaus_with_records_365d", "distinct_event_kinds_365d", "days_since_any_record"):
            assert set(indicators.INDICATORS[key].reads) == every_bureau, key
        assert indicators.INDICATORS["police_offence_contacts_365d"].reads == ("police",)
        assert indicators.INDICATORS["age_years"].reads == ("identity",)
        with pytest.raises(
            ValueError
        ):  # a new indicator on the platform's own records must say what it reads
            indicators.Indicator(**{**vars(indicators.INDICATORS["cases_opened_730d"]), "reads": ()})


# ---------------------------------------------------------------------------------------------------------
# 2. The current school is a school detail (rule 5)
# ---------------------------------------------------------------------------------------------------------


def queue_row(html: str, alert: Alert) -> str:
    match = re.search(rf'<tr[^>]*data-alert="{alert.pk}".*?</tr>', html, re.S)
    assert match, f"alert {alert.pk} not in the queue"
    return match.group(0)


class TestCurrentSchoolIsASchoolDetail:
    def test_the_police_queue_does_not_say_where_a_youth_studies(self, client, world):
        # world.y.alert is enrolled at J02 ("Demo 2") and its alert is routed to the police.
        Enrollment.objects.create(youth=world.y.alert, school=world.schools["J02"], student_no="A-1")
        html = login(client, "officer").get(reverse("triage-queue")).content.decode()
        row = queue_row(html, world.alert)
        assert "Demo 2" not in row and "fact-school" not in row and "no current school" not in row
        assert "current school" not in html  # neither in the column head nor as a filter
        assert 'name="school"' not in html

    def test_the_committee_queue_shows_the_current_school(self, client, world):
        Enrollment.objects.create(youth=world.y.alert, school=world.schools["J02"], student_no="A-1")
        committee = alert_for(world, world.y.alert, world.b.committee)
        html = login(client, "guidance").get(reverse("triage-queue")).content.decode()
        assert "Demo 2" in queue_row(html, committee)
        assert 'name="school"' in html

    def test_filtering_by_school_is_ignored_for_the_police_and_works_for_the_committee(self, client, world):
        at_j01 = alert_for(world, world.y.student, world.b.police)  # y.student is at J01
        html = login(client, "officer").get(reverse("triage-queue"), {"school": "J02"}).content.decode()
        # Were the filter applied, the J01 student's row would be gone and tell the officer where they study.
        assert f'data-alert="{at_j01.pk}"' in html and f'data-alert="{world.alert.pk}"' in html
        committee_j01 = alert_for(world, world.y.student, world.b.committee)
        committee_other = alert_for(world, world.y.alert, world.b.committee)
        html = login(client, "guidance").get(reverse("triage-queue"), {"school": "J01"}).content.decode()
        assert f'data-alert="{committee_j01.pk}"' in html
        assert f'data-alert="{committee_other.pk}"' not in html

    def test_who_reads_school_details(self, world):
        student = world.y.student
        assert policy.can_read_school_details(world.u.counsellor, student)  # their own student
        assert policy.can_read_school_details(world.u.guidance, student)  # the committee
        assert not policy.can_read_school_details(world.u.officer, student)
        assert not policy.can_read_school_details(world.u.social, student)
        assert policy.reads_source_for_every_youth(world.u.guidance, "school")
        assert not policy.reads_source_for_every_youth(world.u.officer, "school")

    def test_no_alert_api_or_export_carries_the_school(self, client, world):
        Enrollment.objects.create(youth=world.y.alert, school=world.schools["J02"], student_no="A-1")
        login(client, "officer")
        for url in (reverse("api:alert-list"), reverse("api:alert-detail", args=[world.alert.pk])):
            body = client.get(url).content.decode()
            assert "J02" not in body and "Demo 2" not in body, url
        page = client.get(reverse("alert-list")).content.decode()
        assert "Demo 2" not in page


# ---------------------------------------------------------------------------------------------------------
# 3. Every read of youth data is in the access log
# ---------------------------------------------------------------------------------------------------------


class TestReadsAreLogged:
    def test_the_notifications_api_logs_each_read_of_the_inbox(self, client, world):
        notifications.notify(
            kind=NotificationKind.ALERT_ESCALATED, user=world.u.police_supervisor, alert=world.alert,
            youth=world.y.alert,
        )  # fmt: skip
        notifications.notify(
            kind=NotificationKind.TASK_DUE, user=world.u.guidance, case=world.case, youth=world.y.case
        )
        login(client, "police_supervisor")
        body = client.get(reverse("api:notification-list"), {"kind": "alert_escalated"}).json()
        assert [n["youth"] for n in body["results"]] == [world.y.alert.public_id]
        entry = AuditEntry.objects.get(action=AuditAction.LIST, object_type="notification")
        assert entry.username == "police_supervisor"
        # Only the user's own messages are read, and counted.
        assert entry.detail == {"count": 1, "query": {"kind": "alert_escalated"}}

    def test_marking_a_message_read_is_logged_and_another_users_message_is_refused(self, client, world):
        notifications.notify(
            kind=NotificationKind.TASK_DUE, user=world.u.guidance, case=world.case, youth=world.y.case
        )
        note = Notification.objects.get()
        login(client, "officer")
        assert client.post(reverse("api:notification-read", args=[note.pk])).status_code == 404
        assert not AuditEntry.objects.filter(action=AuditAction.UPDATE, object_type="notification").exists()
        login(client, "guidance")
        assert client.post(reverse("api:notification-read", args=[note.pk])).status_code == 200
        entry = AuditEntry.objects.get(action=AuditAction.UPDATE, object_type="notification")
        assert entry.youth_public_id == world.y.case.public_id and entry.username == "guidance"

    def test_a_case_page_shown_again_after_a_refusal_carries_the_purpose_of_the_grant(self, client, world):
        (grant,) = access_services.grant_access(
            actor=actor(world.u.guidance2), youth=[world.y.case], bureau=world.b.committee,
            purpose_code="court_request", purpose_text="Juvenile court asked for the case history today",
        )  # fmt: skip
        login(client, "guidance2")
        url = reverse("case-move", args=[world.case.pk, "approve_closure"])
        response = client.post(url, {"version": world.case.version})
        assert response.status_code in (400, 403)
        view = AuditEntry.objects.filter(action=AuditAction.VIEW, object_type="case").latest("id")
        assert view.detail.get("break_glass") == grant.pk and view.purpose == grant.purpose_summary[:255]


# ---------------------------------------------------------------------------------------------------------
# 4. A national ID is searched by POST only; it never sits in a URL, nor in full in the log
# ---------------------------------------------------------------------------------------------------------

NID = "F234567890"


@pytest.fixture
def known_nid(world):
    world.y.alert.national_id = NID
    world.y.alert.save(update_fields=["national_id"])
    world.y.none.national_id = "G134567891"  # nobody may see this one
    world.y.none.save(update_fields=["national_id"])
    return world.y.alert


def listed(html: str) -> set[str]:
    return set(re.findall(r'href="[^"]*/youth/(Y[0-9A-Z]{10})/"', html))


class TestNationalIdsStayOutOfUrls:
    def test_a_get_with_a_national_id_searches_nothing_and_logs_it_masked(self, client, world, known_nid):
        login(client, "officer")
        response = client.get(reverse("youth-list"), {"q": NID})
        html = response.content.decode()
        assert response.status_code == 200 and listed(html) == set()
        assert 'id="national-id-refused"' in html
        entry = AuditEntry.objects.filter(action=AuditAction.LIST, object_type="youth").latest("id")
        assert NID not in entry.path and NID not in str(entry.detail)
        assert mask_national_id(NID) in entry.path and entry.detail["query"] == {"q": "F2******90"}
        # Lower case and spaces are the same ID.
        html = client.get(reverse("youth-list"), {"q": " f234567890 "}).content.decode()
        assert listed(html) == set()

    def test_name_and_youth_id_search_by_get_still_work(self, client, world, known_nid):
        login(client, "officer")
        assert listed(client.get(reverse("youth-list"), {"q": "乙警示"}).content.decode()) == {
            known_nid.public_id
        }
        assert listed(client.get(reverse("youth-list"), {"q": known_nid.public_id}).content.decode()) == {
            known_nid.public_id
        }

    def test_a_post_finds_the_youth_the_user_may_see_with_that_exact_national_id(
        self, client, world, known_nid
    ):
        login(client, "officer")
        html = client.post(reverse("youth-list"), {"national_id": NID.lower()}).content.decode()
        assert listed(html) == {known_nid.public_id}
        entry = AuditEntry.objects.filter(action=AuditAction.LIST, object_type="youth").latest("id")
        assert entry.detail == {"count": 1, "query": {"national_id": "F2******90"}}
        assert NID not in entry.path
        # A youth the officer has no reason to see is not found by its national ID either.
        assert (
            listed(client.post(reverse("youth-list"), {"national_id": "G134567891"}).content.decode())
            == set()
        )

    def test_a_partial_national_id_is_refused_before_any_lookup(self, client, world, known_nid):
        login(client, "officer")
        before = AuditEntry.objects.filter(action=AuditAction.LIST).count()
        response = client.post(reverse("youth-list"), {"national_id": NID[:6]})
        assert response.status_code == 400 and listed(response.content.decode()) == set()
        assert AuditEntry.objects.filter(action=AuditAction.LIST).count() == before

    def test_the_search_box_tells_the_browser_not_to_send_a_national_id(self, client, world):
        html = login(client, "officer").get(reverse("youth-list")).content.decode()
        pattern = re.search(r'name="q"[^>]*pattern="([^"]+)"', html).group(1)
        pattern = pattern.replace("&#x27;", "'").replace("&quot;", '"')
        assert re.fullmatch(pattern, NID) is None and re.fullmatch(pattern, "王小明") is not None
        assert 'method="post"' in html and 'name="national_id"' in html

    def test_the_api_searches_a_national_id_by_post_only(self, client, world, known_nid):
        login(client, "officer")
        assert client.get(reverse("api:youth-list"), {"q": NID}).json()["count"] == 0
        logged = AuditEntry.objects.filter(action=AuditAction.LIST, object_type="youth").latest("id")
        assert NID not in logged.path and NID not in str(logged.detail)
        found = client.post(
            reverse("api:youth-search"), {"national_id": NID}, content_type="application/json"
        )
        assert [r["public_id"] for r in found.json()["results"]] == [known_nid.public_id]
        assert (
            client.post(
                reverse("api:youth-search"), {"national_id": "F2345"}, content_type="application/json"
            ).status_code
            == 400
        )

    def test_data_stewards_search_the_identity_register_by_post(self, client, world, known_nid):
        login(client, "steward")
        html = client.post(reverse("identity-register"), {"national_id": NID}).content.decode()
        assert known_nid.public_id in html and world.y.case.public_id not in html
        html = client.get(reverse("identity-register"), {"q": NID}).content.decode()
        assert known_nid.public_id not in html
        found = client.post(
            reverse("api:identity-search"), {"national_id": NID}, content_type="application/json"
        )
        assert [r["public_id"] for r in found.json()["results"]] == [known_nid.public_id]

    def test_national_ids_are_masked_wherever_they_stand_in_a_logged_text(self):
        assert redact_national_ids("/youth/?q=F234567890&page=2") == "/youth/?q=F2******90&page=2"
        assert redact_national_ids("/youth/f234567890/") == "/youth/F2******90/"
        # A youth ID, a longer token or a shorter one is not a national ID.
        for text in ("/youth/Y7K2M9QH4TX/", "AF2345678901", "F23456789"):
            assert redact_national_ids(text) == text


# ---------------------------------------------------------------------------------------------------------
# 5. Nobody who ever carried a case approves its closure, and a case is not handed on while it is decided
# ---------------------------------------------------------------------------------------------------------


def case_now(world) -> Case:
    return Case.objects.get(pk=world.case.pk)


def reassign(world, by, to):
    return case_services.update_case(
        actor=actor(by), case=case_now(world), expected_version=case_now(world).version, assignee=to
    )


def move(world, user, name, **kw):
    kw.setdefault("note", "Family moved to Tainan")
    return case_services.move_case(
        actor=actor(user), case=case_now(world), move=name, expected_version=case_now(world).version, **kw
    )


class TestClosureByAFormerCarrier:
    def test_a_case_is_not_reassigned_while_its_closure_is_requested(self, world):
        move(world, world.u.guidance, "request_closure", closure_reason=ClosureReason.MOVED_AWAY)
        with pytest.raises(ValidationError) as refused:
            reassign(world, world.u.supervisor, world.u.guidance2)
        assert "assignee" in refused.value.message_dict
        assert case_now(world).assignee == world.u.guidance
        # Other edits go on; and once the closure is returned the case may be handed on again.
        case_services.update_case(
            actor=actor(world.u.guidance), case=case_now(world), expected_version=case_now(world).version,
            summary="Waiting for the new city's answer",
        )  # fmt: skip
        move(world, world.u.supervisor, "return_closure", note="Confirm the new city has the file first")
        assert reassign(world, world.u.supervisor, world.u.guidance2).assignee == world.u.guidance2

    def test_a_supervisor_who_carried_the_case_does_not_approve_its_closure_after_handing_it_on(self, world):
        reassign(world, world.u.supervisor, world.u.supervisor)
        reassign(world, world.u.supervisor, world.u.guidance2)
        move(world, world.u.guidance2, "request_closure", closure_reason=ClosureReason.MOVED_AWAY)
        with pytest.raises(PermissionDenied):
            move(world, world.u.supervisor, "approve_closure")
        assert case_services.available_moves(world.u.supervisor, case_now(world)) == []
        # A supervisor of the bureau who never carried it decides.
        other = make_user("supervisor2", world.b.committee, Role.SUPERVISOR)
        assert move(world, other, "approve_closure").status == CaseStatus.CLOSED

    def test_whoever_once_asked_to_close_the_case_does_not_approve_a_later_request(self, world):
        # The supervisor never carried the case (guidance does) but asked once to close it, as the lead
        # bureau's members may; that request was returned, and the carrier asks again.
        move(world, world.u.supervisor, "request_closure", closure_reason=ClosureReason.MOVED_AWAY)
        other = make_user("supervisor2", world.b.committee, Role.SUPERVISOR)
        move(world, other, "return_closure", note="Not yet: confirm the move")
        move(world, world.u.guidance, "request_closure", closure_reason=ClosureReason.MOVED_AWAY)
        assert case_now(world).closure_requested_by == world.u.guidance
        with pytest.raises(PermissionDenied):
            move(world, world.u.supervisor, "approve_closure")
        assert move(world, other, "approve_closure").status == CaseStatus.CLOSED

    def test_every_assignee_change_is_remembered(self, world):
        reassign(world, world.u.supervisor, world.u.guidance2)
        reassign(world, world.u.supervisor, None)
        changes = list(
            CaseAssigneeChange.objects.filter(case=world.case).values_list(
                "from_assignee", "to_assignee", "by"
            )
        )
        g, g2, sup = world.u.guidance.pk, world.u.guidance2.pk, world.u.supervisor.pk
        assert changes == [(g, g2, sup), (g2, None, sup)]
        assert policy.carriers_of(case_now(world)) == {g, g2}
        case = case_services.open_case(
            actor=actor(world.u.officer), youth=world.y.alert, lead_bureau=world.b.police, concern="deviant",
            assignee=world.u.officer,
        )  # fmt: skip
        assert list(case.assignee_changes.values_list("from_assignee", "to_assignee")) == [
            (None, world.u.officer.pk)
        ]

    def test_a_transfer_is_neither_sent_nor_accepted_while_closure_is_requested(self, world):
        transfer = case_services.refer(
            actor=actor(world.u.guidance), youth=world.y.case, case=case_now(world), kind=ReferralKind.TRANSFER,
            from_bureau=world.b.committee, to_bureau=world.b.welfare, reason="Welfare leads now", consent="obtained",
        )  # fmt: skip
        move(world, world.u.guidance, "request_closure", closure_reason=ClosureReason.MOVED_AWAY)
        with pytest.raises(ValidationError):
            case_services.respond_to_referral(actor=actor(world.u.social), referral=transfer, accept=True)
        with pytest.raises(ValidationError):
            case_services.refer(
                actor=actor(world.u.guidance), youth=world.y.case, case=case_now(world), kind=ReferralKind.TRANSFER,
                from_bureau=world.b.committee, to_bureau=world.b.welfare, reason="again", consent="obtained",
            )  # fmt: skip
        assert case_now(world).lead_bureau == world.b.committee
        # Declining is still possible: it hands nothing on.
        case_services.respond_to_referral(
            actor=actor(world.u.social), referral=transfer, accept=False, note="not now"
        )

    def test_an_accepted_transfer_records_the_new_carrier(self, world):
        transfer = case_services.refer(
            actor=actor(world.u.guidance), youth=world.y.case, case=case_now(world), kind=ReferralKind.TRANSFER,
            from_bureau=world.b.committee, to_bureau=world.b.welfare, reason="Welfare leads now", consent="obtained",
        )  # fmt: skip
        case_services.respond_to_referral(actor=actor(world.u.social), referral=transfer, accept=True)
        assert policy.carriers_of(case_now(world)) == {world.u.guidance.pk, world.u.social.pk}

    def test_the_case_page_does_not_offer_reassignment_while_closure_is_requested(self, client, world):
        login(client, "supervisor")
        html = client.get(reverse("case-detail", args=[world.case.pk])).content.decode()
        assert re.search(r'<select name="assignee"(?![^>]*disabled)', html)
        move(world, world.u.guidance, "request_closure", closure_reason=ClosureReason.MOVED_AWAY)
        html = client.get(reverse("case-detail", args=[world.case.pk])).content.decode()
        assert re.search(r'<select name="assignee"[^>]*disabled', html)

    def test_a_former_carrier_is_not_asked_to_approve(self, world):
        reassign(world, world.u.supervisor, world.u.supervisor)
        reassign(world, world.u.supervisor, world.u.guidance)
        other = make_user("supervisor2", world.b.committee, Role.SUPERVISOR)
        move(world, world.u.guidance, "request_closure", closure_reason=ClosureReason.MOVED_AWAY)
        asked = set(
            Notification.objects.filter(kind=NotificationKind.CLOSURE_REQUESTED).values_list(
                "user", flat=True
            )
        )
        assert asked == {other.pk}

    def test_earlier_reassignments_are_recovered_from_the_access_log(self, world):
        import importlib

        from django.apps import apps

        migration = importlib.import_module("casework.migrations.0013_case_assignee_changes")
        AuditEntry.objects.create(
            user=world.u.supervisor, username="supervisor", action=AuditAction.UPDATE, object_type="case",
            object_id=str(world.case.pk), detail={"assignee": "supervisor"},
        )  # fmt: skip
        AuditEntry.objects.create(
            user=world.u.supervisor, username="supervisor", action=AuditAction.UPDATE, object_type="case",
            object_id=str(world.case.pk), detail={"summary": True},
        )  # fmt: skip
        migration.recover_from_the_access_log(apps, None)
        assert world.u.supervisor.pk in policy.carriers_of(case_now(world))
        move(world, world.u.guidance, "request_closure", closure_reason=ClosureReason.MOVED_AWAY)
        with pytest.raises(PermissionDenied):
            move(world, world.u.supervisor, "approve_closure")


# ---------------------------------------------------------------------------------------------------------
# 6. Messages to a supervisor follow the supervisor role, not the person
# ---------------------------------------------------------------------------------------------------------


def end_supervision(user):
    """The supervisor role ends; the person stays on as a juvenile officer of the same unit."""
    user.memberships.filter(role=Role.SUPERVISOR).update(active=False)
    Membership.objects.create(user=user, bureau=user.memberships.first().bureau, role=Role.JUVENILE_OFFICER)


def overdue(world):
    Alert.objects.filter(pk=world.alert.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))


class TestMessagesFollowTheSupervisorRole:
    def test_only_active_supervisors_are_told_of_an_escalation(self, world):
        second = make_user("police_supervisor2", world.b.police, Role.SUPERVISOR)
        end_supervision(world.u.police_supervisor)
        assert set(policy.supervisors_of(world.b.police.pk)) == {second}
        overdue(world)
        alerting.escalate_overdue_alerts()
        told = Notification.objects.filter(kind=NotificationKind.ALERT_ESCALATED)
        assert [n.user for n in told] == [second]

    def test_only_active_supervisors_are_told_of_an_access_by_purpose(self, world):
        second = make_user("police_supervisor2", world.b.police, Role.SUPERVISOR)
        end_supervision(world.u.police_supervisor)
        access_services.grant_access(
            actor=actor(world.u.officer), youth=[world.y.none], bureau=world.b.police,
            purpose_code="new_report", purpose_text="A school reported this youth to us tonight",
        )  # fmt: skip
        told = Notification.objects.filter(kind=NotificationKind.ACCESS_BY_PURPOSE)
        assert [n.user for n in told] == [second]

    def test_a_former_supervisor_no_longer_reads_the_messages_they_had_as_one(self, client, world):
        overdue(world)
        alerting.escalate_overdue_alerts()
        access_services.grant_access(
            actor=actor(world.u.officer), youth=[world.y.none], bureau=world.b.police,
            purpose_code="new_report", purpose_text="A school reported this youth to us tonight",
        )  # fmt: skip
        notifications.notify(
            kind=NotificationKind.TASK_DUE, user=world.u.police_supervisor, youth=world.y.alert
        )
        login(client, "police_supervisor")
        kinds = {n["kind"] for n in client.get(reverse("api:notification-list")).json()["results"]}
        assert kinds == {"alert_escalated", "access_by_purpose", "task_due"}
        assert world.y.none.public_id in client.get(reverse("inbox")).content.decode()

        end_supervision(world.u.police_supervisor)
        login(client, "police_supervisor")
        body = client.get(reverse("api:notification-list")).json()
        # Their own task stays theirs while they still work cases; the supervisor's messages are gone.
        assert [n["kind"] for n in body["results"]] == ["task_due"]
        inbox = client.get(reverse("inbox")).content.decode()
        assert world.y.none.public_id not in inbox
        escalation = Notification.objects.get(kind=NotificationKind.ALERT_ESCALATED)
        assert client.post(reverse("api:notification-read", args=[escalation.pk])).status_code == 404

    def test_a_supervisor_of_another_bureau_reads_none_of_these(self, client, world):
        overdue(world)
        alerting.escalate_overdue_alerts()
        note = Notification.objects.get(kind=NotificationKind.ALERT_ESCALATED)
        Notification.objects.filter(pk=note.pk).update(user=world.u.supervisor)  # misaddressed, say
        login(client, "supervisor")
        assert client.get(reverse("api:notification-list")).json()["count"] == 0

    def test_a_person_with_no_case_working_role_left_reads_no_message(self, client, world):
        notifications.notify(
            kind=NotificationKind.TASK_DUE, user=world.u.guidance, youth=world.y.case, case=world.case
        )
        login(client, "guidance")
        assert client.get(reverse("api:notification-list")).json()["count"] == 1
        Membership.objects.filter(user=world.u.guidance).update(active=False)
        login(client, "guidance")
        assert client.get(reverse("api:notification-list")).json()["count"] == 0


# ---------------------------------------------------------------------------------------------------------
# 7. Acknowledging an alert does not stop its deadline
# ---------------------------------------------------------------------------------------------------------


class TestAcknowledgedAlertsEscalate:
    def test_an_acknowledged_alert_past_its_deadline_escalates_to_the_supervisors(self, world):
        triage_services.acknowledge_alert(actor=actor(world.u.officer), alert=world.alert)
        overdue(world)
        assert alerting.escalate_overdue_alerts() == 1
        alert = Alert.objects.get(pk=world.alert.pk)
        assert alert.status == AlertStatus.ESCALATED and alert.escalated_at is not None
        assert alert.acknowledged_by == world.u.officer  # who was on it stays on record
        told = Notification.objects.filter(kind=NotificationKind.ALERT_ESCALATED, alert=alert)
        assert [n.user for n in told] == [world.u.police_supervisor]

    def test_an_acknowledged_alert_within_its_deadline_does_not_escalate(self, world):
        triage_services.acknowledge_alert(actor=actor(world.u.officer), alert=world.alert)
        assert alerting.escalate_overdue_alerts() == 0
        assert Alert.objects.get(pk=world.alert.pk).status == AlertStatus.ACKNOWLEDGED
        assert not Notification.objects.filter(kind=NotificationKind.ALERT_ESCALATED).exists()


def test_reading_a_message_about_a_case_or_about_no_one_is_logged(world):
    """(audit.record) A message about a case but naming no youth is logged with the case's youth; one about
    nothing in particular is logged with none, instead of failing."""
    notifications.notify(kind=NotificationKind.TASK_DUE, user=world.u.guidance, case=world.case)
    notifications.notify(kind=NotificationKind.TASK_DUE, bureau=world.b.committee)
    for note in Notification.objects.all():
        case_services.mark_notification_read(actor=actor(world.u.guidance), notification=note)
    logged = AuditEntry.objects.filter(action=AuditAction.UPDATE, object_type="notification")
    assert sorted(e.youth_public_id for e in logged) == ["", world.y.case.public_id]
