"""A guardian's contest, filed by their worker, decided by a data steward, seen beside the record; and the
retention report."""

from __future__ import annotations

import pytest

from casework.models import Event, EventKind
from integrations.models import ContestStatus, RecordContest
from tests.browser.conftest import PHONE, horizontal_overflow, login, snap

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_worker_files_a_contest_and_the_steward_annotates_it(new_page, live_server, world):
    event = Event.objects.get(youth=world.y.case, kind=EventKind.POLICE_OFFENCE)
    worker = new_page()
    login(worker, live_server, "guidance")
    # The way in is the youth page: each event's row has a readable link to contest it.
    worker.goto(f"{live_server.url}/youth/{world.y.case.public_id}/")
    link = worker.locator(
        f'tr[data-kind="police_offence"] a.contest-link[href$="/events/{event.pk}/contest/"]'
    )
    box = link.bounding_box()
    assert box is not None and box["width"] > 40 and box["height"] < 40, box  # on one line, not squeezed
    with worker.expect_navigation():
        link.click()
    worker.select_option("#id_contested_by", "guardian")
    worker.select_option("#id_part", "not_them")
    worker.fill("#id_statement", "家長表示當天孩子在補習班，有老師可作證。")
    snap(worker, "corrections_1_worker_contest_form")
    with worker.expect_navigation():
        worker.locator("main form button[type=submit]").click()
    contest = RecordContest.objects.get()

    steward = new_page()
    login(steward, live_server, "steward")
    steward.goto(f"{live_server.url}/integrations/corrections/")
    snap(steward, "corrections_2_steward_queue")
    steward.locator(f"a[href='/integrations/corrections/{contest.pk}/']").click()
    steward.fill("#annotate_note", "家長陳述：當天孩子在補習班（老師可作證）。")
    snap(steward, "corrections_3_steward_decide")
    with steward.expect_navigation():
        steward.locator("form:has(input[value=annotate]) button[type=submit]").click()
    contest.refresh_from_db()
    assert contest.status == ContestStatus.ANNOTATED

    worker.goto(f"{live_server.url}/youth/{world.y.case.public_id}/")
    assert worker.locator("[data-contest-status=annotated]").inner_text().count("補習班") == 1
    snap(worker, "corrections_4_worker_sees_the_note")

    steward.goto(f"{live_server.url}/integrations/retention/")
    assert steward.locator(".retention-rules tbody tr").count() == 4
    snap(steward, "retention_1_report")
    phone = new_page(viewport=PHONE)
    login(phone, live_server, "steward")
    phone.goto(f"{live_server.url}/integrations/retention/")
    width, viewport = horizontal_overflow(phone)
    assert width <= viewport + 1
    snap(phone, "retention_2_phone_report")
