"""Sealing as a property: random orders of deliveries (a notice before or after its record, a record
quarantined then fixed, re-sent, a second notice, relinks), then the whole database is scanned for the sealed
records' content; and after an adversarial order, every page, API endpoint and export each role can reach.

``SEALING_EXAMPLES`` (default 150) sets how many orders hypothesis plays.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from dataclasses import dataclass, field

import pytest
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from integrations.feeds.importing import KEY_KEPT, import_rows, resubmit_quarantined
from integrations.models import QuarantinedRow, QuarantineStatus, RecordLink, SourceRecord
from tests.fixtures import ONE_PER_ROLE, PASSWORD
from tests.integrations.sealing_world import (
    MARKER,
    NOTICE_P,
    NOTICE_Q,
    NOTICE_Q_MALFORMED,
    P1,
    P1_CHANGED,
    P2,
    Q1,
    Q1_MALFORMED,
    Q_NID,
    ROSTER,
    WELFARE,
    activate_linkage,
    write_csv,
)
from tests.integrations.test_linkage import city, city_frame, trained_settings  # noqa: F401
from tests.integrations.test_sealing import traces

EXAMPLES = int(os.environ.get("SEALING_EXAMPLES", "150"))

# P's contacts before the person-wide notice's date with contract errors (a mistyped birth date; no contact
# number at all): they wait in the quarantine until the notice, or never get there after it.
P5_MALFORMED = {
    **P1,
    "contact_no": "SC-P5",
    "unit": f"{MARKER}-SC-P5",
    "note": "",
    "birth_date": "2011-99-05",
}
P_NO_KEY = {**P1, "contact_no": "", "unit": f"{MARKER}-SC-P5-nokey", "note": "", "kind": "not a kind"}

# What each delivery sends: (feed, rows).
DELIVERIES = {
    "contacts_p_malformed": ("police.contacts", [P5_MALFORMED, P_NO_KEY]),
    "contacts": ("police.contacts", [P1, P2, Q1]),
    "contact_p1_changed": ("police.contacts", [P1_CHANGED]),
    "contact_q1_malformed": ("police.contacts", [Q1_MALFORMED]),
    "notice_q": ("court.sealing", [NOTICE_Q]),
    "notice_q_malformed": ("court.sealing", [NOTICE_Q_MALFORMED]),
    "notice_p": ("court.sealing", [NOTICE_P]),
    "roster": ("school.students", [ROSTER]),
    "welfare": ("welfare.reports", [WELFARE]),
}
STEPS = [*DELIVERIES, "api_q1", "fix_quarantine", "relink"]


@dataclass
class Story:
    """What has happened so far, and so which records the law says are sealed now."""

    delivered: list[str] = field(default_factory=list)

    def happened(self, *steps: str) -> bool:
        return any(s in self.delivered for s in steps)

    def q1_sealed(self) -> bool:
        return self.happened("notice_q", "notice_q_malformed")

    def p5_sealed(self) -> bool:
        """The person-wide notice reaches P's malformed contacts by national ID, in the quarantine or before."""
        return "notice_p" in self.delivered and "contacts_p_malformed" in self.delivered

    def p1_sealed(self) -> bool:
        """The person-wide notice reaches P1 by its national ID, whichever came first, linked or not."""
        return "notice_p" in self.delivered and self.happened("contacts", "contact_p1_changed")


def _deliver(tmp_path, step: str, number: int, *, link: bool) -> None:
    feed, rows = DELIVERIES[step]
    path = write_csv(tmp_path / f"{number:02d}-{step}.csv", rows)
    args = ["import_feed", feed, str(path)] + ([] if link else ["--no-link"])
    call_command(*args, stdout=io.StringIO())


def _play(tmp_path, story: Story, step: str, number: int, link: bool) -> None:
    if step in DELIVERIES:
        _deliver(tmp_path, step, number, link=link)
        story.delivered.append(step)
    elif step == "api_q1":
        import_rows(feed="police.contacts", rows=[Q1])
        story.delivered.append("contacts_q1_api")
    elif step == "fix_quarantine":
        for row in QuarantinedRow.objects.filter(feed="police.contacts", status=QuarantineStatus.OPEN):
            try:
                resubmit_quarantined(row=row, fixed=Q1, user=None)
            except ValueError as exc:
                # A fix may not take the key of another stored record (insider review 10): refused, nothing
                # delivered. Only a random order reaches this, so it was a rare flake before it was caught here.
                if str(exc) != KEY_KEPT:
                    raise
                continue
            story.delivered.append("contacts_q1_fixed")
    elif step == "relink":
        call_command("link_records", verbosity=0)


def _check(story: Story) -> None:
    sealed = []
    if story.q1_sealed():
        sealed.append("SC-Q1")
        assert traces(f"{MARKER}-SC-Q1", Q_NID) == [], story.delivered
    if story.p1_sealed():
        sealed.append("SC-P1")
        assert traces(f"{MARKER}-SC-P1") == [], story.delivered
    if story.p5_sealed():
        assert traces(f"{MARKER}-SC-P5") == [], story.delivered
    for key in sealed:
        assert not RecordLink.objects.filter(feed="police.contacts", record_key=key).exists(), story
        assert not SourceRecord.objects.filter(record_key=key, sealed_at__isnull=True).exists(), story
    # Sealing takes no more than the law says: the contact after the person-wide notice's date stays.
    if story.happened("contacts"):
        assert SourceRecord.objects.get(record_key="SC-P2", is_current=True).sealed_at is None


@pytest.mark.django_db(transaction=False)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plays=st.lists(st.tuples(st.sampled_from(STEPS), st.booleans()), min_size=1, max_size=8))
# The person's malformed contacts quarantined (one fixed and resubmitted) before the person-wide notice.
@example(plays=[("contacts_p_malformed", False), ("notice_p", False)])
@example(plays=[("contacts_p_malformed", False), ("fix_quarantine", False), ("notice_p", False)])
def test_no_order_of_deliveries_leaves_a_trace_of_a_sealed_record(world, trained_settings, tmp_path, plays):  # noqa: F811
    with transaction.atomic():
        activate_linkage(trained_settings)
        story = Story()
        for number, (step, link) in enumerate(plays):
            # Linking is slow (about a second): the first and fifth deliveries may link, the rest are stored
            # only, as with --no-link; relinks come as steps of their own.
            _play(tmp_path, story, step, number, link and number in (0, 4))
        _check(story)
        transaction.set_rollback(True)


# ---------------------------------------------------------------------------------------------------------
# Every page, API endpoint and export each role can reach, after an adversarial order
# ---------------------------------------------------------------------------------------------------------

SKIP = re.compile(
    r"/(logout|i18n/setlang|accounts/login|account/)|/read/|/static/|/admin/.*/(delete|history)/"
)
HREF = re.compile(r"""(?:href|action|src)=["']([^"'#]+)["']|"(?:url|next|previous)":\s*"([^"]+)\"""")


def _text(response) -> str:
    body = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    if body[:2] == b"PK":  # XLSX: the sheets' XML
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    return body.decode("utf-8", "replace")


def _crawl(client, seeds: list[str], limit: int = 90) -> dict[str, str]:
    seen: dict[str, str] = {}
    queue = list(seeds)
    while queue and len(seen) < limit:
        url = queue.pop(0).replace("http://testserver", "")
        if not url.startswith("/") or url in seen or SKIP.search(url):
            continue
        response = client.get(url)
        if response.status_code != 200:
            seen[url] = ""
            continue
        text = _text(response)
        seen[url] = text
        for a, b in HREF.findall(text):
            link = (a or b).replace("&amp;", "&")
            if link.startswith(("/", "http://testserver/")) and link not in seen:
                queue.append(link)
    return seen


def test_no_page_api_or_export_shows_a_sealed_record_to_any_role(client, world, trained_settings, tmp_path):  # noqa: F811
    activate_linkage(trained_settings)
    story = Story()
    # The adversarial order: the record quarantined, the notice, the record re-sent (file and API), the
    # person-wide notice before a relink, a fix resubmitted from the quarantine, and a relink.
    for number, step in enumerate(
        [
            "roster",
            "welfare",
            "contact_q1_malformed",
            "contacts",
            "notice_q",
            "contacts",
            "api_q1",
            "notice_p",
        ]
        + ["contact_p1_changed", "fix_quarantine", "relink"]
    ):
        _play(tmp_path, story, step, number, link=True)
    _check(story)
    youth_ids = list(RecordLink.objects.values_list("youth__public_id", flat=True).distinct())
    seeds = ["/", "/api/", "/youth/", "/cases/", "/alerts/", "/referrals/", "/triage/", "/inbox/", "/audit/"]
    seeds += ["/identity/", "/statistics/", "/integrations/batches/", "/integrations/quarantine/"]
    seeds += ["/integrations/review/", "/integrations/linkage/", "/integrations/retention/", "/models/"]
    seeds += ["/integrations/corrections/", "/api/integrations/quarantine/", "/api/integrations/batches/"]
    seeds += [
        "/api/integrations/review/",
        "/api/events/",
        "/api/alerts/",
        "/api/notifications/",
        "/api/audit/",
    ]
    seeds += ["/api/youth/", "/api/identity/", "/api/triage-decisions/", "/api/referrals/"]
    for public_id in youth_ids:
        seeds += [f"/youth/{public_id}/", f"/api/youth/{public_id}/", f"/api/youth/{public_id}/timeline/"]
        seeds += [f"/api/identity/{public_id}/", f"/integrations/linkage/youth/{public_id}/"]
        seeds += [
            f"/privacy/subject-access/{public_id}/",
            f"/privacy/subject-access/{public_id}/download.json",
        ]
    reached = 0
    for username in ONE_PER_ROLE:
        client.logout()
        client.login(username=username, password=PASSWORD)
        pages = _crawl(client, seeds)
        reached += sum(1 for text in pages.values() if text)
        for url, text in pages.items():
            for secret in (f"{MARKER}-SC-Q1", f"{MARKER}-SC-P1", Q_NID):
                assert secret not in text, f"{username} sees {secret} at {url}"
    assert reached > 100  # the crawl did reach the pages, not only refusals
