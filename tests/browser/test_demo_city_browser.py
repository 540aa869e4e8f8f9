"""The demo city as README command one builds it (4,000 youth over four years, seed 2026): a model that earns
its place is active and drives the queue, this month's retrain waits beside it for the model steward, and every
journey the README names has something to work on. Then, in a real browser, the supervisor reads the active
model's report and the model steward compares the candidate with it and makes it active.

Built once, on the test database, through the same function ``seed_demo`` calls; about two minutes.
"""

from __future__ import annotations

import importlib

import pytest
from playwright.sync_api import expect

from casework.models import Bureau, BureauKind, Case, CaseStatus
from demo.city import build_linked_demo
from demo.second_factor import ensure_demo_second_factors
from integrations.models import ReviewPair, ReviewStatus
from riskmodel import gate
from riskmodel.models import ModelStatus, PromotionOverride, RiskModel, ScoringRun
from tests.browser.conftest import login, snap
from tests.riskmodel.test_registry_pages import build_risk_model

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "demo-pass-2026"
BANDS_LOW_TO_HIGH = ("low", "medium", "high", "very_high")


def _assert_earns_its_place(model: RiskModel) -> None:
    """ROC AUC of at least 0.65 on its own test months, its 95 % interval clear of every baseline it reports,
    and bands whose observed outcome rates rise from low to very high."""
    assert gate.passed(model.gate), model.gate.get("failed")
    scorers = model.gate["evidence"]["scorers"]
    auc = scorers["model"]["roc_auc"]
    assert auc["value"] >= 0.65, auc
    for baseline in ("focal_count", "logistic_regression", "random_order"):
        assert auc["interval"][0] > scorers[baseline]["roc_auc"]["value"], (baseline, auc, scorers[baseline])
    rates = {row["band"]: row["observed_rate"] for row in model.report["bands"]["table"]}
    observed = [rates[band] for band in BANDS_LOW_TO_HIGH]
    assert observed == sorted(observed) and len(set(observed)) == 4, rates


def _as_freshly_migrated() -> None:
    """The rows the data migrations write (the four bureaus, the focal-linkage alert rules), as `migrate` leaves
    them: an earlier transactional test in the same run empties every table. Both steps are idempotent."""
    from django.apps import apps

    for module, step in (
        ("casework.migrations.0009_default_alert_rules", "add_rules"),
        ("casework.migrations.0014_city_bureaus", "create_bureaus"),
    ):
        getattr(importlib.import_module(module), step)(apps, None)


def test_the_demo_model_earns_its_place_and_every_journey_has_work(page, live_server):
    _as_freshly_migrated()
    counts = build_linked_demo()
    ensure_demo_second_factors()

    active = RiskModel.objects.get(status=ModelStatus.ACTIVE)
    candidate = RiskModel.objects.get(status=ModelStatus.CANDIDATE)
    assert candidate.version > active.version
    _assert_earns_its_place(active)
    _assert_earns_its_place(candidate)
    run = ScoringRun.objects.get()
    assert run.model_id == active.pk and run.scored == counts["scored"] > 1000
    # Closures for the committee's supervisor to approve, and record-match pairs for the data steward.
    committee = Bureau.objects.get(kind=BureauKind.COMMITTEE)
    closure = Case.objects.filter(status=CaseStatus.CLOSURE_REQUESTED, lead_bureau=committee).first()
    assert closure is not None
    assert ReviewPair.objects.filter(status=ReviewStatus.OPEN).exists()

    # The supervisor reads the report of the model that scores the youth.
    login(page, live_server, "supervisor", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/models/active/")
    auc = f"{active.metrics['test']['roc_auc']:.3f}"
    expect(page.locator('#metrics-table tr[data-metric="roc_auc"] td.model-value')).to_have_text(auc)
    for row in active.report["bands"]["table"]:
        cell = page.locator(f'#bands-table tr[data-band="{row["band"]}"] td.observed')
        expect(cell).to_have_text(f"{row['observed_rate'] * 100:.1f}%")
    # Which pairs of indicators drive the top of the list (SHAP interaction values).
    expect(page.locator("#interactions table")).to_be_visible()
    snap(page, "60_demo_supervisor_active_model_report")
    page.goto(f"{live_server.url}/tasks/")
    expect(page.locator(f'a[href^="/cases/{closure.pk}/"]').first).to_be_visible()

    # The model steward compares this month's retrain with the active model and makes it active.
    page.context.clear_cookies()
    login(page, live_server, "modeller", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/models/{candidate.version}/")
    expect(page.locator("#comparison")).to_contain_text(active.label)
    expect(page.locator('#comparison tr[data-metric="roc_auc"]')).to_be_visible()
    snap(page, "61_demo_modeller_compares_candidate")
    with page.expect_navigation():
        page.locator("#promote-form button[type=submit]").click()
    expect(page.locator("#model-status")).to_have_class("status status-active")
    assert RiskModel.objects.get(pk=candidate.pk).status == ModelStatus.ACTIVE
    assert RiskModel.objects.get(pk=active.pk).status == ModelStatus.RETIRED

    # A retrain that orders youth no better than chance is refused: no button, no proposal, and the server
    # refuses a hand-made request too (the model stays a candidate and no proposal is recorded).
    chance = build_risk_model(version=3, gate_passed=False, failing=("beats_random_order_auc",))
    page.goto(f"{live_server.url}/models/{chance.version}/")
    expect(page.locator("#promote-refused")).to_be_visible()
    expect(page.locator("#promote-form, #propose-form")).to_have_count(0)
    snap(page, "62_demo_modeller_promotion_refused")
    token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    for path in (f"/models/{chance.version}/activate/", f"/models/{chance.version}/override/"):
        response = page.request.post(
            f"{live_server.url}{path}",
            form={
                "csrfmiddlewaretoken": token,
                "reason": "委員會要求先行使用此模型，每月覆核其表現與公平性。",
            },
            headers={"Referer": f"{live_server.url}/models/{chance.version}/"},
        )
        assert response.ok, (path, response.status)  # refused with a message on the report, not an error
    assert RiskModel.objects.get(pk=chance.pk).status == ModelStatus.CANDIDATE
    assert not PromotionOverride.objects.filter(model=chance).exists()

    # The data steward has record-match pairs to review.
    page.context.clear_cookies()
    login(page, live_server, "steward", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/integrations/review/")
    pair = ReviewPair.objects.filter(status=ReviewStatus.OPEN).order_by("pk").first()
    expect(page.locator(f'a[href="/integrations/review/{pair.pk}/"]').first).to_be_visible()
    snap(page, "63_demo_steward_review_queue")
