"""The contest form shows a youth's ID and one event (kind, code, date): opening it is a read of the youth's
record and is in the access log like the youth page, with the purpose while a stated purpose lets the worker
in (access-policy rule 17)."""

from __future__ import annotations

from django.urls import reverse

from casework.access import services as access_services
from casework.models import AuditAction, AuditEntry, Event, EventKind
from tests.fixtures import PASSWORD, actor


def _form_url(youth, event) -> str:
    return reverse("integrations:contest-new", args=[youth.public_id, event.pk])


def _views_of(event):
    return AuditEntry.objects.filter(action=AuditAction.VIEW, object_type="event", object_id=str(event.pk))


def test_opening_the_contest_form_is_logged_as_a_view_of_the_youths_record(world, client):
    event = Event.objects.get(youth=world.y.case, kind=EventKind.POLICE_OFFENCE)
    assert client.login(username="guidance", password=PASSWORD)
    assert client.get(_form_url(world.y.case, event)).status_code == 200
    (view,) = _views_of(event)
    assert view.username == "guidance" and view.youth_public_id == world.y.case.public_id
    assert view.detail == {"page": "contest"} and view.purpose == ""


def test_a_form_shown_again_with_errors_is_logged_too(world, client):
    event = Event.objects.get(youth=world.y.case, kind=EventKind.POLICE_OFFENCE)
    assert client.login(username="guidance", password=PASSWORD)
    assert client.post(_form_url(world.y.case, event), {"statement": ""}).status_code == 200
    assert _views_of(event).count() == 1


def test_during_a_grant_the_view_carries_its_purpose(world, client):
    (grant,) = access_services.grant_access(
        actor=actor(world.u.officer), youth=[world.y.none], bureau=world.b.police,
        purpose_code="new_report", purpose_text="The guardian came to the station about this record",
    )  # fmt: skip
    event = Event.objects.get(youth=world.y.none)
    assert client.login(username="officer", password=PASSWORD)
    assert client.get(_form_url(world.y.none, event)).status_code == 200
    (view,) = _views_of(event)
    assert view.detail == {"page": "contest", "break_glass": grant.pk}
    assert view.purpose == grant.purpose_summary[:255]


def test_an_event_out_of_reach_shows_nothing_and_only_the_refusal_is_logged(world, client):
    event = Event.objects.get(youth=world.y.none)
    assert client.login(username="guidance", password=PASSWORD)
    assert client.get(_form_url(world.y.none, event)).status_code == 404
    assert not _views_of(event).exists()
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, detail__object_type="event").exists()
