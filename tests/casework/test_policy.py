"""The need-to-know rules, each with its allowed and its refused side."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from casework.access import policy
from casework.access.policy import Detail
from casework.cases import services as case_services
from casework.models import (
    Alert,
    AlertStatus,
    Case,
    ConcernType,
    EventKind,
    ReferralStatus,
)
from casework.triage import services as triage_services
from tests.fixtures import PASSWORD, actor


def visible(user):
    return set(policy.visible_youth(user).values_list("name", flat=True))


class TestWhoSeesAYouth:
    def test_open_case_of_own_bureau_or_assignment_gives_access(self, world):
        assert world.y.case.name in visible(world.u.guidance)  # assignee and committee
        assert world.y.case.name in visible(world.u.guidance2)  # same bureau, not assigned
        assert world.y.case.name not in visible(world.u.officer)
        assert world.y.case.name not in visible(world.u.social)

    def test_active_alert_routed_to_bureau_gives_access_until_resolved(self, world):
        assert world.y.alert.name in visible(world.u.officer)
        assert world.y.alert.name not in visible(world.u.guidance)
        world.alert.status = AlertStatus.RESOLVED
        world.alert.save()
        assert world.y.alert.name not in visible(world.u.officer)
        # The police supervisor keeps seeing what was routed to the unit.
        assert world.y.alert.name in visible(world.u.police_supervisor)

    def test_receiver_sees_youth_only_once_referral_is_routed(self, world):
        y = world.y.case
        assert y.name not in visible(world.u.social)
        case_services.refer(
            actor=actor(world.u.guidance),
            youth=y,
            from_bureau=world.b.committee,
            to_bureau=world.b.welfare,
            reason="family support",
            consent="obtained",
        )
        assert y.name in visible(world.u.social)

    def test_declined_or_revoked_referral_gives_no_access(self, world):
        assert world.y.referred.name in visible(world.u.social)
        world.referral.status = ReferralStatus.DECLINED
        world.referral.save()
        assert world.y.referred.name not in visible(world.u.social)

    def test_closed_case_visible_to_supervisor_not_to_workers(self, world):
        assert world.y.closed.name in visible(world.u.supervisor)
        assert world.y.closed.name not in visible(world.u.guidance)

    def test_supervisor_sees_only_what_was_routed_to_own_bureau(self, world):
        assert world.y.alert.name not in visible(world.u.supervisor)  # routed to police
        assert world.y.case.name not in visible(world.u.police_supervisor)  # committee case

    def test_counsellor_sees_current_students_of_own_school_only(self, world):
        names = visible(world.u.counsellor)
        assert world.y.student.name in names
        assert world.y.former.name not in names  # left the school
        assert world.y.case.name not in names  # enrolled at another school

    def test_nobody_sees_a_youth_without_a_reason(self, world):
        for user in vars(world.u).values():
            assert world.y.none.name not in visible(user)

    @pytest.mark.parametrize("role", ["steward", "modeller", "auditor", "admin"])
    def test_non_casework_roles_see_no_youth_records(self, world, role):
        assert visible(getattr(world.u, role)) == set()

    def test_data_steward_reaches_identities_through_register_only(self, world):
        assert policy.identity_register(world.u.steward).count() == 7
        assert policy.identity_register(world.u.guidance).count() == 0

    def test_the_register_leaves_out_sealed_shells_as_if_never_issued(self, world, client):
        """Review 4, F5: a youth that sealing left empty is not listed, found or shown to the steward."""
        from django.urls import reverse

        from casework.models import Youth
        from tests.fixtures import PASSWORD

        shell = world.y.none
        shell.events.all().delete()
        shell.enrollments.all().delete()
        Youth.objects.filter(pk=shell.pk).update(name="", name_romanized="", national_id="", birth_date=None)
        assert policy.identity_register(world.u.steward).count() == 6
        assert not policy.identity_register(world.u.steward).filter(pk=shell.pk).exists()
        client.login(username="steward", password=PASSWORD)
        shown = client.get(reverse("api:identity-detail", args=[shell.public_id]))
        unknown = client.get(reverse("api:identity-detail", args=["Y2222222222"]))
        assert shown.status_code == unknown.status_code == 404
        assert client.get(reverse("api:identity-list"), {"q": shell.public_id}).json()["count"] == 0
        # The refused side: a record that still holds something is listed whatever its identity.
        assert client.get(reverse("api:identity-detail", args=[world.y.case.public_id])).status_code == 200

    def test_merged_record_is_not_listed(self, world):
        world.y.case.merged_into = world.y.alert
        world.y.case.save()
        assert world.y.case.name not in visible(world.u.guidance)

    def test_inactive_membership_gives_nothing(self, world):
        world.u.guidance.memberships.update(active=False)
        policy.forget_principal(world.u.guidance)
        # Still the assignee of the open case: assignment is a personal reason, but the role is gone.
        assert visible(world.u.guidance) == set()


class TestEventDetailBySource:
    def levels(self, user, youth):
        return policy.event_detail_by_source(user, youth)

    def test_committee_reads_every_source(self, world):
        assert set(self.levels(world.u.guidance, world.y.case).values()) == {Detail.FULL}

    def test_police_read_police_and_only_count_the_rest(self, world):
        levels = self.levels(world.u.officer, world.y.alert)
        assert levels == {"police": Detail.FULL, "welfare": Detail.CATEGORY, "school": Detail.CATEGORY}

    def test_welfare_reads_welfare_only(self, world):
        levels = self.levels(world.u.social, world.y.referred)
        assert levels == {"police": Detail.CATEGORY, "welfare": Detail.FULL, "school": Detail.CATEGORY}

    def test_counsellor_reads_school_events_and_nothing_else_exists(self, world):
        levels = self.levels(world.u.counsellor, world.y.student)
        assert levels == {"police": Detail.HIDDEN, "welfare": Detail.HIDDEN, "school": Detail.FULL}
        timeline = policy.timeline_for(world.u.counsellor, world.y.student)
        assert {e.kind for e in timeline.events} == {EventKind.ABSENCE}
        assert timeline.restricted_counts == {}

    def test_timeline_gives_counts_not_details_for_restricted_sources(self, world):
        timeline = policy.timeline_for(world.u.officer, world.y.alert)
        assert {e.source for e in timeline.events} == {"police"}
        assert timeline.restricted_counts == {"school": 1}

    def test_sealed_events_vanish_from_timeline_and_counts(self, world):
        from django.utils import timezone

        from casework.models import Event

        Event.objects.filter(youth=world.y.alert, source="school").update(sealed_at=timezone.now())
        timeline = policy.timeline_for(world.u.officer, world.y.alert)
        assert timeline.restricted_counts == {}
        assert Event.all_objects.filter(youth=world.y.alert, source="school").count() == 1

    def test_events_api_lists_only_readable_sources(self, world):
        officer_events = policy.visible_events(world.u.officer)
        assert set(officer_events.values_list("source", flat=True)) == {"police"}
        assert set(officer_events.values_list("youth__name", flat=True)) == {world.y.alert.name}
        counsellor_events = policy.visible_events(world.u.counsellor)
        assert set(counsellor_events.values_list("source", flat=True)) == {"school"}


class TestCaseContent:
    def test_other_bureaus_see_only_that_a_case_exists(self, world):
        # Police open their own case for y.alert; the committee later gets an alert on the same youth.
        police_case = case_services.open_case(
            actor=actor(world.u.officer), youth=world.y.alert, lead_bureau=world.b.police, concern="deviant"
        )
        triage_services.raise_alert(
            youth=world.y.alert,
            reason="offence",
            routed_to=world.b.committee,
            due_at=world.now + dt.timedelta(days=14),
        )
        # The committee coordinates and reads all cases of the youth it can see.
        assert policy.can_view_case(world.u.guidance, police_case)
        # Social welfare, given a referral on the youth (not on the case), sees only the case line.
        case_services.refer(
            actor=actor(world.u.officer),
            youth=world.y.alert,
            from_bureau=world.b.police,
            to_bureau=world.b.welfare,
            reason="family",
            consent="obtained",
        )
        assert not policy.can_view_case(world.u.social, police_case)
        assert list(policy.other_cases_of(world.u.social, world.y.alert)) == [police_case]

    def test_referral_on_a_case_opens_its_content_to_the_receiver(self, world):
        assert not policy.can_view_case(world.u.social, world.case)
        case_services.refer(
            actor=actor(world.u.guidance),
            youth=world.y.case,
            case=world.case,
            from_bureau=world.b.committee,
            to_bureau=world.b.welfare,
            reason="family",
            consent="obtained",
        )
        assert policy.can_view_case(world.u.social, world.case)


class TestNoLeaks:
    def test_unseen_youth_answers_404_like_a_missing_one(self, client, world):
        client.login(username="officer", password=PASSWORD)
        hidden = client.get(reverse("youth-detail", args=[world.y.case.public_id]))
        missing = client.get(reverse("youth-detail", args=["YNOSUCHONE"]))
        assert hidden.status_code == missing.status_code == 404
        assert world.y.case.name.encode() not in hidden.content

    def test_search_and_counts_only_cover_visible_youth(self, client, world):
        world.y.case.national_id = "H298765432"
        world.y.case.save()
        client.login(username="officer", password=PASSWORD)
        response = client.get(reverse("api:youth-list"), {"q": world.y.case.name})
        assert response.json()["count"] == 0
        search = reverse("api:youth-search")
        body = {"national_id": world.y.case.national_id}
        assert client.post(search, body, content_type="application/json").json()["count"] == 0
        response = client.get(reverse("api:youth-list"))
        assert [r["public_id"] for r in response.json()["results"]] == [world.y.alert.public_id]

    def test_partial_national_id_does_not_match(self, client, world):
        client.login(username="guidance", password=PASSWORD)
        assert client.get(reverse("api:youth-list"), {"q": "H1234"}).json()["count"] == 0
        search = reverse("api:youth-search")
        partial = client.post(search, {"national_id": "H1234"}, content_type="application/json")
        assert partial.status_code == 400
        whole = client.post(search, {"national_id": "H123456789"}, content_type="application/json")
        assert whole.json()["count"] >= 1

    def test_creating_with_an_unseen_youth_says_the_same_as_a_missing_one(self, client, world):
        client.login(username="officer", password=PASSWORD)
        url = reverse("api:case-list")
        body = {"lead_bureau": "police", "concern": "deviant"}
        hidden = client.post(url, {**body, "youth": world.y.case.public_id}, content_type="application/json")
        missing = client.post(url, {**body, "youth": "YNOSUCHONE"}, content_type="application/json")
        assert hidden.status_code == missing.status_code == 400
        assert hidden.json()["youth"][0].replace(world.y.case.public_id, "X") == missing.json()["youth"][
            0
        ].replace("YNOSUCHONE", "X")


class TestFairnessAttributesNeverShown:
    FORBIDDEN = ("indigenous", "new_immigrant", "fairness", "原住民", "新住民")

    def test_youth_api_and_timeline_carry_no_fairness_attributes(self, client, world):
        client.login(username="guidance", password=PASSWORD)
        for url in (
            reverse("api:youth-detail", args=[world.y.case.public_id]),
            reverse("api:youth-timeline", args=[world.y.case.public_id]),
            reverse("api:youth-list"),
            reverse("api:case-detail", args=[world.case.pk]),
        ):
            body = client.get(url).content.decode().lower()
            for word in self.FORBIDDEN:
                assert word not in body, (url, word)

    def test_youth_and_case_pages_carry_no_fairness_attributes(self, client, world):
        client.login(username="guidance", password=PASSWORD)
        for url in (
            reverse("youth-detail", args=[world.y.case.public_id]),
            reverse("case-detail", args=[world.case.pk]),
        ):
            body = client.get(url).content.decode().lower()
            for word in self.FORBIDDEN:
                assert word not in body, (url, word)
        # The attributes do exist (for fairness audits), just not on these pages.
        assert world.y.case.fairness_attributes.indigenous is True


class TestActions:
    def test_open_case_allowed_for_own_bureau_refused_for_another(self, world):
        from django.core.exceptions import PermissionDenied

        case = case_services.open_case(
            actor=actor(world.u.officer), youth=world.y.alert, lead_bureau=world.b.police, concern="deviant"
        )
        assert isinstance(case, Case)
        with pytest.raises(PermissionDenied):
            case_services.open_case(
                actor=actor(world.u.officer),
                youth=world.y.alert,
                lead_bureau=world.b.committee,
                concern=ConcernType.HIGH_CONCERN,
            )

    def test_acknowledge_alert_only_by_routed_bureau(self, world):
        from django.core.exceptions import PermissionDenied

        with pytest.raises(PermissionDenied):
            triage_services.acknowledge_alert(actor=actor(world.u.guidance), alert=world.alert)
        triage_services.acknowledge_alert(actor=actor(world.u.officer), alert=world.alert)
        assert Alert.objects.get(pk=world.alert.pk).status == AlertStatus.ACKNOWLEDGED
