"""Rule 17: a worker with no reason on record opens a youth's record only by typing its exact ID and stating a
purpose; the access is logged, flagged, expires, and is reviewed by a supervisor of the worker's bureau or an
auditor."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from casework.access import policy
from casework.access import services as access_services
from casework.models import (
    ACCESS_GRANT_HOURS,
    AccessGrant,
    AccessPurpose,
    AccessReviewOutcome,
    AuditAction,
    AuditEntry,
    Membership,
    Notification,
    NotificationKind,
    Youth,
)
from tests.fixtures import PASSWORD, actor

PURPOSE = "Police received a report of this youth at a late-night venue tonight"
OPEN = reverse("access-open")
REVIEWS = reverse("access-review-list")
# Well-formed IDs that belong to nobody.
NOBODY_YOUTH_ID = "Y2222222222"
NOBODY_NATIONAL_ID = "Z199999999"


def login(client, username: str):
    client.login(username=username, password=PASSWORD)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    return client


def state_purpose(client, identifier: str, code=AccessPurpose.NEW_REPORT, text=PURPOSE, **extra):
    return client.post(
        OPEN,
        {"identifier": identifier, "stage": "purpose", "purpose_code": code, "purpose_text": text, **extra},
    )


def grant(world, user=None, youth=None, **kw) -> AccessGrant:
    user = user or world.u.officer
    (made,) = access_services.grant_access(
        actor=actor(user),
        youth=[youth or world.y.none],
        bureau=user.memberships.get().bureau,
        purpose_code=kw.get("purpose_code", AccessPurpose.URGENT_PROTECTION),
        purpose_text=kw.get("purpose_text", PURPOSE),
    )
    return made


def welfare_supervisor(world):
    from casework.models import Role, User

    user = User.objects.create_user("welfare_sup_bg", password=PASSWORD)
    Membership.objects.create(user=user, bureau=world.b.welfare, role=Role.SUPERVISOR)
    return user


def expire(g: AccessGrant) -> None:
    AccessGrant.objects.filter(pk=g.pk).update(
        granted_at=timezone.now() - dt.timedelta(hours=9), expires_at=timezone.now() - dt.timedelta(hours=1)
    )


def without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


# ---------------------------------------------------------------------------------------------------------
# The policy
# ---------------------------------------------------------------------------------------------------------


class TestWhoMayBreakTheGlass:
    @pytest.mark.parametrize("username", ["officer", "guidance", "social", "supervisor", "police_supervisor"])
    def test_case_workers_and_supervisors_may(self, world, username):
        assert policy.can_break_glass(getattr(world.u, username))

    @pytest.mark.parametrize("username", ["counsellor", "steward", "modeller", "auditor", "admin"])
    def test_counsellors_stewards_auditors_and_administrators_may_not(self, world, username):
        user = getattr(world.u, username)
        assert not policy.can_break_glass(user)
        with pytest.raises(PermissionDenied):
            access_services.grant_access(
                actor=actor(user),
                youth=[world.y.none],
                bureau=user.memberships.get().bureau,
                purpose_code=AccessPurpose.OTHER,
                purpose_text=PURPOSE,
            )
        assert not AccessGrant.objects.exists()

    def test_a_worker_may_not_act_for_a_bureau_they_do_not_belong_to(self, world):
        with pytest.raises(PermissionDenied):
            access_services.grant_access(
                actor=actor(world.u.officer),
                youth=[world.y.none],
                bureau=world.b.committee,
                purpose_code=AccessPurpose.OTHER,
                purpose_text=PURPOSE,
            )


class TestGrantPolicy:
    def test_a_grant_is_a_reason_until_it_expires(self, world):
        officer = world.u.officer
        assert not policy.can_view_youth(officer, world.y.none)
        g = grant(world)
        policy.forget_principal(officer)
        assert policy.can_view_youth(officer, world.y.none)
        assert g.expires_at - g.granted_at == dt.timedelta(hours=ACCESS_GRANT_HOURS)
        assert policy.active_grant_for(officer, world.y.none) == g
        expire(g)
        assert not policy.can_view_youth(officer, world.y.none)
        assert policy.active_grant_for(officer, world.y.none) is None

    def test_a_grant_opens_the_record_to_its_holder_only(self, world):
        grant(world)
        assert not policy.can_view_youth(world.u.police_supervisor, world.y.none)
        assert not policy.can_view_youth(world.u.guidance, world.y.none)

    def test_a_grant_ends_when_the_holder_loses_their_case_working_role(self, world):
        officer = world.u.officer
        grant(world)
        Membership.objects.filter(user=officer).update(active=False)
        policy.forget_principal(officer)
        assert not policy.can_view_youth(officer, world.y.none)

    def test_a_grant_shows_event_details_by_source_and_case_content_stays_with_its_bureau(self, world):
        social = world.u.social
        assert not policy.can_view_youth(social, world.y.case)
        grant(world, user=social, youth=world.y.case)
        timeline = policy.timeline_for(social, world.y.case)
        assert {e.source for e in timeline.events} == {"welfare"}
        assert timeline.restricted_counts == {"police": 1, "school": 1}
        # Rule 6 unchanged: the committee's case is a line, not its content.
        assert not policy.visible_cases(social).filter(youth=world.y.case).exists()
        assert list(policy.other_cases_of(social, world.y.case)) == [world.case]

    def test_purpose_must_be_a_known_code_and_a_real_sentence(self, world):
        for code, text in [
            ("", PURPOSE),
            ("curiosity", PURPOSE),
            (AccessPurpose.OTHER, "x"),
            (AccessPurpose.OTHER, "aaaaaaaaaaaaaaa"),
            (AccessPurpose.OTHER, "   checking   "),
        ]:
            with pytest.raises(ValidationError):
                grant(world, purpose_code=code, purpose_text=text)
        assert not AccessGrant.objects.exists()
        # Ten characters of Chinese is a sentence.
        assert grant(world, purpose_text="接獲學校通報該生連續缺課三日").pk


class TestReviewPolicy:
    def test_supervisors_see_grants_of_their_bureau_auditors_see_all(self, world):
        by_officer = grant(world)
        by_guidance = grant(world, user=world.u.guidance)
        assert set(policy.visible_access_grants(world.u.police_supervisor)) == {by_officer}
        assert set(policy.visible_access_grants(world.u.supervisor)) == {by_guidance}
        assert set(policy.visible_access_grants(world.u.auditor)) == {by_officer, by_guidance}
        for username in ["officer", "guidance", "counsellor", "steward", "modeller", "admin"]:
            assert not policy.visible_access_grants(getattr(world.u, username)).exists(), username

    def test_who_may_review(self, world):
        by_officer = grant(world)
        own = grant(world, user=world.u.supervisor)
        assert policy.can_review_access_grant(world.u.police_supervisor, by_officer)
        assert policy.can_review_access_grant(world.u.auditor, by_officer)
        assert not policy.can_review_access_grant(world.u.supervisor, by_officer)  # another bureau
        assert not policy.can_review_access_grant(world.u.officer, by_officer)  # their own
        assert not policy.can_review_access_grant(world.u.supervisor, own)  # their own
        assert policy.can_review_access_grant(world.u.auditor, own)


# ---------------------------------------------------------------------------------------------------------
# The pages
# ---------------------------------------------------------------------------------------------------------


class TestOpeningARecord:
    def test_youth_list_offers_the_exact_id_form_to_those_who_may_use_it(self, client, world):
        page = login(client, "officer").get(reverse("youth-list")).content.decode()
        assert f'action="{OPEN}"' in page and "Open a record by exact youth ID or national ID" in page
        client.logout()
        page = login(client, "counsellor").get(reverse("youth-list")).content.decode()
        assert f'action="{OPEN}"' not in page

    @pytest.mark.parametrize("username", ["counsellor", "steward", "modeller", "auditor", "admin"])
    def test_roles_that_may_not_break_the_glass_are_refused(self, client, world, username):
        login(client, username)
        assert client.get(OPEN).status_code == 403
        assert state_purpose(client, world.y.none.public_id).status_code == 403
        assert not AccessGrant.objects.exists()
        assert AuditEntry.objects.filter(action=AuditAction.DENIED, username=username).count() == 2

    def test_the_record_itself_still_answers_404_without_a_reason(self, client, world):
        login(client, "officer")
        assert client.get(reverse("youth-detail", args=[world.y.none.public_id])).status_code == 404

    def test_malformed_ids_are_refused_before_anything_is_looked_up(self, client, world):
        login(client, "officer")
        for typed in ["Y22", "H12345678", "甲案例", "H1234*", world.y.none.public_id[:-1]]:
            response = client.post(OPEN, {"identifier": typed})
            assert response.status_code == 400, typed
            assert "Type a whole youth ID" in response.content.decode()
        assert "State your purpose" not in response.content.decode()

    def test_the_purpose_page_is_the_same_whether_or_not_the_youth_exists(self, client, world):
        Youth.objects.filter(pk=world.y.none.pk).update(national_id="F234567890")
        login(client, "officer")
        for real, made_up in [(world.y.none.public_id, NOBODY_YOUTH_ID), ("F234567890", NOBODY_NATIONAL_ID)]:
            a = client.post(OPEN, {"identifier": real})
            b = client.post(OPEN, {"identifier": made_up})
            assert a.status_code == b.status_code == 200
            assert without_csrf(a.content.decode()).replace(real, "ID") == without_csrf(
                b.content.decode()
            ).replace(made_up, "ID")
            # A purpose that fails validation also tells nothing.
            a = state_purpose(client, real, text="x")
            b = state_purpose(client, made_up, text="x")
            assert a.status_code == b.status_code == 400
            assert without_csrf(a.content.decode()).replace(real, "ID") == without_csrf(
                b.content.decode()
            ).replace(made_up, "ID")
        assert not AccessGrant.objects.exists()

    def test_a_record_the_user_may_already_see_opens_without_a_purpose(self, client, world):
        login(client, "officer")
        response = client.post(OPEN, {"identifier": world.y.alert.public_id.lower()})
        assert response.status_code == 302
        assert response["Location"] == reverse("youth-detail", args=[world.y.alert.public_id])
        assert not AccessGrant.objects.exists()

    def test_purpose_is_required_and_validated_on_the_page(self, client, world):
        login(client, "officer")
        for code, text in [("", PURPOSE), (AccessPurpose.OTHER, ""), (AccessPurpose.OTHER, "x")]:
            response = state_purpose(client, world.y.none.public_id, code=code, text=text)
            assert response.status_code == 400
        assert "at least 10 characters" in response.content.decode()
        assert not AccessGrant.objects.exists()
        assert client.get(reverse("youth-detail", args=[world.y.none.public_id])).status_code == 404

    def test_stating_a_purpose_opens_the_record_logs_it_and_shows_a_banner(self, client, world):
        login(client, "officer")
        response = state_purpose(client, world.y.none.public_id)
        url = reverse("youth-detail", args=[world.y.none.public_id])
        assert response.status_code == 302 and response["Location"] == url
        g = AccessGrant.objects.get()
        assert (g.user, g.bureau, g.youth, g.purpose_code) == (
            world.u.officer,
            world.b.police,
            world.y.none,
            AccessPurpose.NEW_REPORT,
        )
        logged = AuditEntry.objects.get(action=AuditAction.BREAK_GLASS)
        assert logged.youth_public_id == world.y.none.public_id and logged.username == "officer"
        assert "New referral or report received" in logged.purpose and PURPOSE in logged.purpose
        assert logged.detail["break_glass"] == g.pk and logged.detail["purpose_text"] == PURPOSE

        page = client.get(url).content.decode()
        assert "You opened this record by stating a purpose" in page
        assert PURPOSE in page and "your supervisor will review it" in page
        expected_end = timezone.localtime(g.expires_at).strftime("%Y-%m-%d %H:%M")
        assert f"access ends at {expected_end}" in page
        client.get(url)
        views = AuditEntry.objects.filter(action=AuditAction.VIEW, youth_public_id=world.y.none.public_id)
        assert views.count() == 2
        assert all(v.detail == {"break_glass": g.pk} and PURPOSE in v.purpose for v in views)

    def test_a_grant_only_opens_what_the_bureau_may_read(self, client, world):
        login(client, "social")
        state_purpose(client, world.y.case.public_id, code=AccessPurpose.URGENT_PROTECTION)
        page = client.get(reverse("youth-detail", args=[world.y.case.public_id])).content.decode()
        assert "neglect" in page  # welfare's own record
        assert "theft" not in page and "Outreach plan" not in page  # police details, committee case content
        assert client.get(reverse("case-detail", args=[world.case.pk])).status_code == 404

    def test_a_made_up_id_answers_404_after_the_purpose_and_is_logged(self, client, world):
        login(client, "officer")
        assert state_purpose(client, NOBODY_YOUTH_ID).status_code == 404
        assert not AccessGrant.objects.exists()
        denied = AuditEntry.objects.get(action=AuditAction.DENIED, username="officer")
        assert denied.detail["object_id"] == NOBODY_YOUTH_ID and denied.detail["status"] == 404

    def shell(self, world) -> Youth:
        """What sealing leaves of a youth known only through sealed records: no identity, nothing held."""
        youth = world.y.none
        youth.events.all().delete()
        youth.enrollments.all().delete()
        Youth.objects.filter(pk=youth.pk).update(name="", name_romanized="", national_id="", birth_date=None)
        return youth

    def test_a_sealed_shell_answers_exactly_like_an_id_never_issued(self, client, world):
        """Review 4, F4: an empty record would confirm that the platform once held something, all sealed."""
        shell = self.shell(world)
        login(client, "social")
        unknown = state_purpose(client, NOBODY_YOUTH_ID)
        sealed = state_purpose(client, shell.public_id)
        assert sealed.status_code == unknown.status_code == 404
        assert without_csrf(sealed.content.decode()) == without_csrf(unknown.content.decode())
        assert not AccessGrant.objects.exists()
        assert not Notification.objects.filter(youth=shell).exists()
        assert client.get(reverse("youth-detail", args=[shell.public_id])).status_code == 404

    def test_a_grant_made_before_the_youth_became_a_shell_shows_nothing(self, client, world):
        grant(world, user=world.u.social)
        self.shell(world)
        policy.forget_principal(world.u.social)
        assert not policy.visible_youth(world.u.social).filter(pk=world.y.none.pk).exists()

    def test_reviews_and_messages_about_a_grant_forget_a_youth_that_became_a_shell(self, world):
        """Review 5, F2: the supervisor's review list, the auditor's and the inbox named the sealed youth."""
        supervisor = welfare_supervisor(world)
        made = grant(world, user=world.u.social)
        for user in (supervisor, world.u.auditor):
            assert policy.visible_access_grants(user).filter(pk=made.pk).exists()
        assert policy.visible_notifications(supervisor).filter(youth=world.y.none).exists()
        self.shell(world)
        for user in (supervisor, world.u.auditor):
            policy.forget_principal(user)
            assert not policy.visible_access_grants(user).filter(pk=made.pk).exists()
        assert not policy.visible_notifications(supervisor).filter(youth=world.y.none).exists()

    def test_a_grant_on_a_youth_with_a_record_stays_under_review(self, world):
        """The refused side."""
        supervisor = welfare_supervisor(world)
        made = grant(world, user=world.u.social)
        assert policy.visible_access_grants(world.u.auditor).filter(pk=made.pk).exists()
        assert policy.visible_notifications(supervisor).filter(youth=world.y.none).exists()

    def test_a_youth_without_identity_who_still_has_a_case_is_no_shell(self, client, world):
        """The refused side: sealing keeps a case opened on the whole record; it is still reachable."""
        youth = world.y.case
        youth.events.all().delete()
        youth.enrollments.all().delete()
        Youth.objects.filter(pk=youth.pk).update(name="", name_romanized="", national_id="", birth_date=None)
        login(client, "social")
        assert state_purpose(client, youth.public_id).status_code in (200, 302)

    def _auditor_reads(self, client, world) -> dict[str, str]:
        login(client, "auditor")
        youth = world.y.none.public_id
        api = APIClient()
        api.force_authenticate(world.u.auditor)
        return {
            "page": client.get(reverse("audit-log"), {"youth": youth}).content.decode(),
            "api": api.get("/api/audit/", {"youth": youth}, HTTP_ACCEPT_LANGUAGE="en").content.decode(),
            "csv": client.get(reverse("export-audit-log", args=["csv"]), {"youth": youth}).content.decode(),
        }

    def test_the_access_log_withholds_the_purpose_and_paths_of_entries_about_a_shell(self, client, world):
        """Insider review 15, F6: the log kept the typed purpose and the sealed events' paths of a youth whom
        sealing left an empty shell; it still says that the access happened, by whom and when."""
        g = grant(world)
        login(client, "officer")
        client.get(reverse("youth-detail", args=[world.y.none.public_id]))
        self.shell(world)
        for where, text in self._auditor_reads(client, world).items():
            assert PURPOSE not in text, where
            assert f"/youth/{world.y.none.public_id}/" not in text, where
            assert "withheld" in text and world.y.none.public_id in text and "officer" in text, where
        assert AuditEntry.objects.filter(purpose__contains=PURPOSE).exists()  # the log itself is unchanged
        # Nor can a search by purpose read the withheld text back (insider review 16, N8).
        api = APIClient()
        api.force_authenticate(world.u.auditor)
        assert api.get("/api/audit/", {"purpose": PURPOSE[:6]}).json()["count"] == 0
        assert "withheld" not in client.get(reverse("audit-log"), {"purpose": PURPOSE[:6]}).content.decode()
        assert g.pk

    def test_the_access_log_shows_the_purpose_of_entries_about_a_youth_with_records(self, client, world):
        """The refused side: a youth who still has records is no shell; the auditor reads the purpose."""
        grant(world)
        login(client, "officer")
        client.get(reverse("youth-detail", args=[world.y.none.public_id]))
        for where, text in self._auditor_reads(client, world).items():
            assert PURPOSE in text and "withheld" not in text, where
        api = APIClient()
        api.force_authenticate(world.u.auditor)
        assert api.get("/api/audit/", {"purpose": PURPOSE[:6]}).json()["count"] >= 1

    def test_a_merged_record_is_not_opened(self, client, world):
        Youth.objects.filter(pk=world.y.none.pk).update(merged_into=world.y.case)
        login(client, "officer")
        assert state_purpose(client, world.y.none.public_id).status_code == 404
        assert not AccessGrant.objects.exists()

    def test_a_national_id_on_several_unmerged_records_opens_each_of_them(self, client, world):
        Youth.objects.filter(pk__in=[world.y.none.pk, world.y.closed.pk]).update(national_id="F234567890")
        login(client, "officer")
        response = state_purpose(client, "f234567890")
        assert response.status_code == 302
        assert set(AccessGrant.objects.values_list("youth_id", flat=True)) == {
            world.y.none.pk,
            world.y.closed.pk,
        }
        page = client.get(response["Location"]).content.decode()
        assert "This national ID is on 2 records" in page
        assert AuditEntry.objects.filter(action=AuditAction.BREAK_GLASS).count() == 2

    def test_expiry_ends_access_on_the_page_and_in_lists(self, client, world):
        login(client, "officer")
        state_purpose(client, world.y.none.public_id)
        url = reverse("youth-detail", args=[world.y.none.public_id])
        assert client.get(url).status_code == 200
        assert world.y.none.public_id in client.get(reverse("youth-list")).content.decode()
        expire(AccessGrant.objects.get())
        assert client.get(url).status_code == 404
        assert world.y.none.public_id not in client.get(reverse("youth-list")).content.decode()

    def test_after_expiry_a_new_purpose_is_needed_and_makes_a_new_grant(self, client, world):
        login(client, "officer")
        state_purpose(client, world.y.none.public_id)
        expire(AccessGrant.objects.get())
        assert (
            client.post(OPEN, {"identifier": world.y.none.public_id}).status_code == 200
        )  # the purpose form
        state_purpose(client, world.y.none.public_id, code=AccessPurpose.COURT_REQUEST)
        assert AccessGrant.objects.count() == 2


class TestApi:
    def test_a_grant_reaches_the_api_youth_endpoints_while_it_lasts(self, world):
        api = APIClient()
        api.force_authenticate(world.u.officer)
        detail = reverse("api:youth-detail", args=[world.y.none.public_id])
        timeline = reverse("api:youth-timeline", args=[world.y.none.public_id])
        assert api.get(detail).status_code == 404
        g = grant(world)
        assert api.get(detail).status_code == 200
        assert api.get(timeline).status_code == 200
        assert world.y.none.public_id in api.get(reverse("api:youth-list")).content.decode()
        # Views through the API during the grant carry its purpose for the reviewer, as the pages' do.
        from casework.models import AuditEntry

        views = AuditEntry.objects.filter(action="view", youth_public_id=world.y.none.public_id)
        assert views.count() == 2 and all(v.detail.get("break_glass") == g.pk and v.purpose for v in views)
        expire(g)
        assert api.get(detail).status_code == 404

    def test_there_is_no_api_to_create_grants(self, world):
        from django.urls import URLPattern, URLResolver, get_resolver

        def routes(patterns, prefix=""):
            for p in patterns:
                if isinstance(p, URLResolver):
                    yield from routes(p.url_patterns, prefix + str(p.pattern))
                elif isinstance(p, URLPattern):
                    yield prefix + str(p.pattern)

        api_routes = [r for r in routes(get_resolver().url_patterns) if r.startswith("api/")]
        assert api_routes and not [r for r in api_routes if re.search("grant|glass|access|purpose", r)]
        assert not AccessGrant.objects.exists()


class TestNotifications:
    def test_supervisors_of_the_bureau_are_told_of_each_new_grant(self, client, world):
        login(client, "officer")
        state_purpose(client, world.y.none.public_id)
        g = AccessGrant.objects.get()
        note = Notification.objects.get(kind=NotificationKind.ACCESS_BY_PURPOSE)
        assert note.user == world.u.police_supervisor and note.youth == world.y.none
        assert note.detail == {"grant": g.pk, "by": "officer", "purpose_code": AccessPurpose.NEW_REPORT}
        assert not Notification.objects.filter(user=world.u.supervisor).exists()

    def test_a_supervisor_is_not_told_of_their_own_grant(self, world):
        grant(world, user=world.u.supervisor)
        assert not Notification.objects.filter(kind=NotificationKind.ACCESS_BY_PURPOSE).exists()


class TestReviewPages:
    def test_only_supervisors_and_auditors_open_the_review_list(self, client, world):
        for username in ["officer", "guidance", "social", "counsellor", "steward", "modeller", "admin"]:
            login(client, username)
            assert client.get(REVIEWS).status_code == 403, username
            client.logout()
        for username in ["supervisor", "police_supervisor", "auditor"]:
            login(client, username)
            assert client.get(REVIEWS).status_code == 200, username
            client.logout()

    def test_the_list_shows_who_when_which_youth_why_until_when_and_pages_viewed(self, client, world):
        login(client, "officer")
        state_purpose(client, world.y.none.public_id)
        for _ in range(3):
            client.get(reverse("youth-detail", args=[world.y.none.public_id]))
        client.logout()
        g = AccessGrant.objects.get()
        page = login(client, "police_supervisor").get(REVIEWS).content.decode()
        row = re.search(rf'<tr class="awaiting-review" data-grant="{g.pk}">.*?</tr>', page, re.S).group(0)
        assert "officer" in row and world.y.none.public_id in row and PURPOSE in row
        assert "New referral or report received" in row and "Unreviewed" in row
        assert timezone.localtime(g.expires_at).strftime("%Y-%m-%d %H:%M") in row
        assert '<td class="num">3</td>' in row
        assert world.y.none.name not in page  # the youth ID, never the name
        assert "1 access awaits review." in page

    def test_a_supervisor_of_another_bureau_sees_nothing_of_it(self, client, world):
        g = grant(world)
        login(client, "supervisor")
        assert f'data-grant="{g.pk}"' not in client.get(REVIEWS).content.decode()
        assert client.get(reverse("access-review-detail", args=[g.pk])).status_code == 404
        response = client.post(reverse("access-review-detail", args=[g.pk]), {"outcome": "justified"})
        assert response.status_code == 404
        assert AccessGrant.objects.get().review_outcome == ""

    def test_the_auditor_sees_every_bureaus_grants(self, client, world):
        ids = {grant(world).pk, grant(world, user=world.u.guidance).pk, grant(world, user=world.u.social).pk}
        page = login(client, "auditor").get(REVIEWS).content.decode()
        assert {int(i) for i in re.findall(r'data-grant="(\d+)"', page)} == ids

    def test_a_supervisor_reviews_a_grant_of_their_bureau(self, client, world):
        g = grant(world)
        login(client, "police_supervisor")
        url = reverse("access-review-detail", args=[g.pk])
        page = client.get(url).content.decode()
        assert "Your review" in page
        # Not justified needs a note.
        assert client.post(url, {"outcome": AccessReviewOutcome.NOT_JUSTIFIED}).status_code == 400
        assert AccessGrant.objects.get().review_outcome == ""
        response = client.post(
            url, {"outcome": AccessReviewOutcome.NOT_JUSTIFIED, "note": "No report on file"}
        )
        assert response.status_code == 302
        g.refresh_from_db()
        assert (g.review_outcome, g.reviewed_by, g.review_note) == (
            AccessReviewOutcome.NOT_JUSTIFIED,
            world.u.police_supervisor,
            "No report on file",
        )
        logged = AuditEntry.objects.get(action=AuditAction.UPDATE, object_type="accessgrant")
        assert logged.detail == {"review": "not_justified", "previous": ""}
        # A final verdict stands.
        assert client.post(url, {"outcome": AccessReviewOutcome.JUSTIFIED}).status_code == 403
        assert "Your review" not in client.get(url).content.decode()

    def test_needs_follow_up_keeps_the_grant_awaiting_a_final_review(self, client, world):
        g = grant(world)
        login(client, "police_supervisor")
        url = reverse("access-review-detail", args=[g.pk])
        client.post(url, {"outcome": AccessReviewOutcome.FOLLOW_UP, "note": "Ask for the court letter"})
        assert "Needs follow-up" in client.get(REVIEWS, {"state": "awaiting"}).content.decode()
        client.post(url, {"outcome": AccessReviewOutcome.JUSTIFIED})
        assert AccessGrant.objects.get().review_outcome == AccessReviewOutcome.JUSTIFIED

    def test_nobody_reviews_their_own_grant(self, client, world):
        own = grant(world, user=world.u.supervisor)
        login(client, "supervisor")
        url = reverse("access-review-detail", args=[own.pk])
        page = client.get(url).content.decode()
        assert "Your review" not in page and "This is your own access" in page
        assert client.post(url, {"outcome": AccessReviewOutcome.JUSTIFIED}).status_code == 403
        assert AccessGrant.objects.get().review_outcome == ""
        client.logout()
        login(client, "auditor")
        assert client.post(url, {"outcome": AccessReviewOutcome.JUSTIFIED}).status_code == 302
        assert AccessGrant.objects.get().reviewed_by == world.u.auditor

    def test_filters_narrow_the_list(self, client, world):
        a = grant(world)
        b = grant(
            world, user=world.u.guidance, youth=world.y.closed, purpose_code=AccessPurpose.COURT_REQUEST
        )
        c = grant(world, user=world.u.social, youth=world.y.case)
        access_services.review_access_grant(
            actor=actor(world.u.auditor), grant=c, outcome=AccessReviewOutcome.JUSTIFIED
        )
        AccessGrant.objects.filter(pk=a.pk).update(
            granted_at=timezone.now() - dt.timedelta(days=10),
            expires_at=timezone.now() - dt.timedelta(days=9),
        )
        login(client, "auditor")

        def shown(**params):
            page = client.get(REVIEWS, params).content.decode()
            return {int(i) for i in re.findall(r'data-grant="(\d+)"', page)}

        assert shown() == {a.pk, b.pk, c.pk}
        assert shown(state="unreviewed") == {a.pk, b.pk}
        assert shown(state="reviewed") == {c.pk}
        assert shown(outcome="justified") == {c.pk}
        assert shown(user="GUIDANCE") == {b.pk}
        assert shown(purpose=AccessPurpose.COURT_REQUEST) == {b.pk}
        today = timezone.localdate().isoformat()
        assert shown(since=today) == {b.pk, c.pk}
        assert shown(until=(timezone.localdate() - dt.timedelta(days=5)).isoformat()) == {a.pk}

    def test_reading_the_review_list_is_logged(self, client, world):
        grant(world)
        login(client, "auditor").get(REVIEWS, {"state": "unreviewed"})
        entry = AuditEntry.objects.get(action=AuditAction.LIST, object_type="accessgrant")
        assert entry.detail == {"count": 1, "query": {"state": "unreviewed"}}
