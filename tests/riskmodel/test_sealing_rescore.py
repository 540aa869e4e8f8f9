"""A youth whose police contact a court seals is rescored at once without it, in the run the triage queue
reads (the latest run's date), and the scores that rested on it are gone."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.test import TestCase

from casework.access.audit import Actor
from casework.models import Event, RiskScore
from riskmodel import indicators, service
from riskmodel.models import ScoringRun
from tests.riskmodel.test_service import KNOWN_BY, city, trained  # noqa: F401


def test_sealing_rescores_the_youth_without_the_sealed_record(trained, tmp_path):  # noqa: F811
    service.activate_model(model=trained, actor=Actor.system("test"), override_reason="small test city")
    service.score_youth(as_of=KNOWN_BY)
    scored = set(RiskScore.objects.filter(as_of=KNOWN_BY).values_list("youth_id", flat=True))
    event = (
        Event.objects.filter(source_feed="police.contacts", knowledge_date__lt=KNOWN_BY, youth_id__in=scored)
        .order_by("-knowledge_date")
        .first()
    )
    youth = event.youth
    before_score = RiskScore.objects.get(youth=youth, as_of=KNOWN_BY)
    before = indicators.compute([KNOWN_BY]).set_index("youth_id").loc[youth.pk]

    notice = tmp_path / "notice.csv"
    notice.write_text(
        "notice_no,court_case_no,effective_on,contact_nos,name,birth_date\n"
        f"RS-1,113年度少調字第1號,2024-09-01,{event.source_key},{youth.name},{youth.birth_date}\n",
        encoding="utf-8",
    )
    runs = ScoringRun.objects.count()
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("import_feed", "court.sealing", str(notice), stdout=io.StringIO())

    assert not Event.all_objects.filter(pk=event.pk).exists()
    after_score = RiskScore.objects.get(youth=youth, as_of=KNOWN_BY)
    # A new run of the same date, written after the sealing, with features that no longer count the contact.
    assert ScoringRun.objects.count() == runs + 1
    assert ScoringRun.objects.order_by("-created_at").first().as_of == KNOWN_BY
    assert after_score.pk != before_score.pk and after_score.scored_at > before_score.scored_at
    after = indicators.compute([KNOWN_BY]).set_index("youth_id").loc[youth.pk]
    assert not before.equals(after)
