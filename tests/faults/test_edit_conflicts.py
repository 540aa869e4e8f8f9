"""Two people editing the same case at once: the second save is refused with a message that says who changed
the case and when, the first edit stands, and the second person's text comes back to them to re-apply.
The same for a status move, and over the API (409)."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from casework.cases.conflicts import conflict_payload, last_change
from casework.models import AuditEntry, Case, CaseStatus
from tests.fixtures import PASSWORD

pytestmark = pytest.mark.django_db

STAMP = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}"


def browser_of(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    return client


def shown_version(client: Client, case: Case) -> int:
    """The version the case page's edit form carries, as a browser would submit it."""
    page = client.get(reverse("case-detail", args=[case.pk])).content.decode()
    form = page[page.index('class="record-form"') :]
    return int(re.search(r'name="version" value="(\d+)"', form).group(1))


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def save(client: Client, case: Case, version: int, **fields):
    data = {"version": version, "summary": "", "assessment": "", "plan": "", "assignee": case.assignee_id}
    return client.post(reverse("case-edit", args=[case.pk]), {**data, **fields})


def test_the_second_of_two_editors_is_told_who_changed_the_case_and_when_and_keeps_their_text(world):
    case = world.case
    first, second = browser_of("guidance2"), browser_of("guidance")
    v_first, v_second = shown_version(first, case), shown_version(second, case)
    assert v_first == v_second == 1

    assert save(first, case, v_first, plan="Weekly home visits").status_code == 302
    response = save(second, case, v_second, plan="Meet at school every Monday")

    assert response.status_code == 400
    text = page_text(response)
    assert re.search(rf"guidance2 changed this case at {STAMP}, after you opened it", text)
    assert "your changes were not saved" in text
    case.refresh_from_db()
    assert case.plan == "Weekly home visits" and case.version == 2  # the first edit stands
    assert "Meet at school every Monday" in text  # the second person's text, back in their form
    assert "Weekly home visits" in text  # next to the case as it is saved now
    # Having read both, saving again applies their text on purpose.
    assert save(second, case, 2, plan="Meet at school every Monday").status_code == 302
    case.refresh_from_db()
    assert case.plan == "Meet at school every Monday" and case.version == 3


def test_the_same_person_in_two_tabs_is_told_it_was_their_other_tab(world):
    tabs = browser_of("guidance")
    version = shown_version(tabs, world.case)
    assert save(tabs, world.case, version, summary="From the first tab").status_code == 302
    response = save(tabs, world.case, version, summary="From the second tab")
    assert response.status_code == 400
    assert re.search(rf"You \(in another window or tab\) changed this case at {STAMP}", page_text(response))
    world.case.refresh_from_db()
    assert world.case.summary == "From the first tab"


def test_a_status_move_on_a_stale_page_names_the_change_and_keeps_the_note(world):
    case = world.case
    first, second = browser_of("guidance2"), browser_of("guidance")
    url = reverse("case-move", args=[case.pk, "start_assessment"])
    assert first.post(url, {"version": 1}).status_code == 302
    response = second.post(url, {"version": 1, "note": "Spoke with the school first"})
    assert response.status_code == 400
    text = page_text(response)
    assert re.search(rf"guidance2 changed this case at {STAMP}, after you opened it, so your action", text)
    assert "Spoke with the school first" in text
    case.refresh_from_db()
    assert case.status == CaseStatus.ASSESSMENT and case.status_changes.count() == 1


def test_over_the_api_a_stale_version_is_a_409_and_the_first_edit_stands(world):
    first, second = browser_of("guidance2"), browser_of("guidance")
    url = reverse("api:case-detail", args=[world.case.pk])
    ok = first.patch(url, {"expected_version": 1, "plan": "first"}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["version"] == 2
    stale = second.patch(url, {"expected_version": 1, "plan": "second"}, content_type="application/json")
    assert stale.status_code == 409
    body = stale.json()
    assert "changed this case at" in body["detail"] and body["current_version"] == 2
    assert body["changed_by"] == (world.u.guidance2.get_full_name() or "guidance2") and body["changed_at"]
    world.case.refresh_from_db()
    assert world.case.plan == "first"

    move = reverse("api:case-move", args=[world.case.pk])
    refused = second.post(
        move, {"move": "start_assessment", "expected_version": 1}, content_type="application/json"
    )
    assert refused.status_code == 409
    world.case.refresh_from_db()
    assert world.case.status == CaseStatus.OPENED


def test_the_conflict_payload_names_the_last_change_for_the_api(world):
    first = browser_of("guidance2")
    assert save(first, world.case, 1, summary="x").status_code == 302
    entry = (
        AuditEntry.objects.filter(object_type="case", object_id=str(world.case.pk)).order_by("-at").first()
    )
    payload = conflict_payload(world.case, world.u.guidance)
    assert payload["changed_by"] == "guidance2"
    assert payload["changed_at"] == entry.at.isoformat()
    assert payload["current_version"] == 2
    assert "guidance2 changed this case" in payload["detail"]


def test_an_unchanged_case_has_no_last_change(world):
    assert last_change(world.case) is None
