"""The risk-model registry, model report and model card pages, making a model active (page and API), and
the model_card command: who may read and promote, that the pages show the numbers the registry holds, and
that every decision and refusal is in the access log.

Models are built by hand (:func:`build_risk_model`): the registry JSON comes from the real pipeline and
fairness functions run on a generated table, so it has exactly the shape ``train_model`` writes, without
training LightGBM.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from casework.models import AuditAction, AuditEntry
from riskmodel import fairness, gate, indicators, model_card, pipeline, report, service
from riskmodel.models import ModelStatus, RiskModel, ScoringRun
from tests.fixtures import PASSWORD

MITCHELL_SECTIONS = (
    "Model details",
    "Intended use",
    "Factors",
    "Metrics",
    "Evaluation data",
    "Training data",
    "Quantitative analyses",
    "Ethical considerations",
    "Caveats and recommendations",
)
READERS = ("modeller", "supervisor", "police_supervisor")
REFUSED = ("officer", "guidance", "social", "counsellor", "steward", "auditor", "admin")
DISTRICTS = ("桃園區", "中壢區", "平鎮區", "復興區")


def build_risk_model(
    *,
    version: int | None = None,
    status: str = ModelStatus.CANDIDATE,
    gate_passed: bool = True,
    with_report: bool = True,
    seed: int = 7,
    rows: int = 2400,
    failing: tuple[str, ...] = ("baselines_precision",),
) -> RiskModel:
    """A registry entry with realistic metrics, report and fairness audit (see the module docstring)."""
    rng = np.random.default_rng(seed)
    features = list(indicators.KEYS)
    X = pd.DataFrame(rng.poisson(0.4, size=(rows, len(features))).astype(float), columns=features)
    X["age_years"] = rng.integers(12, 18, rows).astype(float)
    weights = np.zeros(len(features))
    for name, w in {
        "unexcused_absence_days_90d": 0.5,
        "police_offence_contacts_365d": 0.8,
        "dropout_reports_365d": 0.6,
        "household_low_income_status_now": 0.3,
        "age_years": 0.15,
    }.items():
        weights[features.index(name)] = w
    centred = X.to_numpy() - X.to_numpy().mean(axis=0)
    shap = centred * weights  # a linear model's SHAP values
    margin = -3.6 + shap.sum(axis=1)
    y = (rng.random(rows) < 1 / (1 + np.exp(-margin))).astype(int)
    p = np.clip(1 / (1 + np.exp(-(margin + rng.normal(0, 0.3, rows)))), 0, 1)
    capacities = (25, 50, 100, 200)
    test = pipeline.evaluate(y, p, capacities)
    lr_scores = np.clip(p + rng.normal(0, 0.02, rows), 0, 1)
    focal_scores = rng.random(rows) * 0.5 + p * 0.5
    lr = pipeline.evaluate(y, lr_scores, capacities)
    focal = {
        k: v
        for k, v in pipeline.evaluate(y, focal_scores, capacities).items()
        if k not in ("brier", "ece", "reliability")
    }
    random = pipeline.evaluate(y, rng.random(rows), capacities)
    cuts = pipeline.band_cutoffs(p)
    threshold = float(np.sort(p)[::-1][max(capacities) - 1])
    groups = pd.DataFrame(
        {
            "sex": rng.choice(["M", "F"], rows),
            "indigenous": rng.choice(["Y", "N"], rows, p=[0.1, 0.9]),
            "new_immigrant_parent": rng.choice(["Y", "N", "unknown"], rows, p=[0.12, 0.85, 0.03]),
            "district": rng.choice(DISTRICTS, rows),
            "low_income": np.where(X["household_low_income_status_now"] > 0, "Y", "N"),
            "age": np.floor(X["age_years"]).astype(int).astype(str),
        }
    )
    table = groups.assign(score=p, label=y)
    audit = {"threshold": threshold, "by_attribute": {}}
    for column in service.FAIRNESS_GROUPS:
        audit["by_attribute"][column] = fairness.audit(
            table, "score", "label", column, threshold, bootstrap=50, seed=seed
        )
    audit["pairs"] = fairness.audit_intersections(
        table,
        "score",
        "label",
        ["sex", "indigenous", "new_immigrant_parent", "low_income"],
        threshold,
        min_n=30,
    )
    audit["flag_summary"] = {}
    without = {k: v for k, v in pipeline.evaluate(y, p * 0.9, capacities).items() if k != "reliability"}
    report = {
        "importance": pipeline.global_importance(shap, X, features),
        "beeswarm": pipeline.beeswarm_points(shap, X, features, seed=seed),
        "shap_base_value": -3.6,
        "shap_additivity_max_error": 1e-15,
        "bands": {"cutoffs": cuts, "table": pipeline.band_table(y, p, cuts)},
        "capacity_threshold": {"k": max(capacities), "score": threshold},
        "score_distribution": np.histogram(p, bins=20, range=(0, 1))[0].tolist(),
        "ablation_without_household": {"excluded": list(indicators.ABOUT_OTHERS), "test": without},
    }
    verdict = gate_verdict(
        y, p, lr_scores, focal_scores, audit, table, failing=failing if not gate_passed else ()
    )
    version = version or (max(RiskModel.objects.values_list("version", flat=True), default=0) + 1)
    return RiskModel.objects.create(
        version=version,
        as_of=dt.date(2025, 6, 1),
        config={**pipeline.TrainConfig().as_dict(), "features": features},
        data_snapshot={
            "known_by": "2025-06-01",
            "data_start": "2021-08-01",
            "events": 12345,
            "youth": 800,
            "matrix_sha256": "0" * 64,
        },
        code_version="abc1234",
        seed=2026,
        metrics={
            "split": {
                "train": ["2022-01-01", "2022-02-01"],
                "calibration": ["2022-03-01"],
                "test": ["2024-04-01", "2024-05-01", "2024-06-01"],
            },
            "rows": {"train": 4000, "calibration": 1000, "test": rows},
            "test": test,
            "baselines": {"focal_count": focal, "logistic_regression": lr, "random": random},
            "uncalibrated_ece": 0.04,
            "label_variants": {
                v: {k: val for k, val in test.items() if k != "reliability"}
                for v in ("police_only", "dropout_only", "protection_only")
            },
        },
        fairness=audit,
        report=report if with_report else {},
        gate=verdict,
        booster="tree",
        calibrator={"method": "isotonic", "x": [0, 1], "y": [0, 1], "features": features},
        status=status,
        activated_at=timezone.now() if status == ModelStatus.ACTIVE else None,
    )


def _breaks(evidence: dict, calibration: dict, check: str) -> None:
    """Change the figures so that the gate itself fails ``check`` (and its sentences say why)."""
    differences = evidence["differences"]
    if check == "enough_test_outcomes":
        evidence["youth_with_outcome"] = 12
    elif check == "beats_random_order_auc":
        differences["random_order"]["roc_auc"] = {"value": 0.02, "interval": [-0.03, 0.07]}
        evidence["scorers"]["model"]["roc_auc"] = {"value": 0.52, "interval": [0.47, 0.57]}
    elif check == "beats_random_order_precision":
        differences["random_order"]["precision_at_k"] = {"value": 0.004, "interval": [-0.01, 0.02]}
    elif check == "baselines_auc":
        differences["logistic_regression"]["roc_auc"] = {"value": -0.04, "interval": [-0.07, -0.01]}
    elif check == "baselines_precision":
        differences["focal_count"]["precision_at_k"] = {"value": -0.03, "interval": [-0.05, -0.01]}
    elif check == "calibrated":
        calibration["ece"] = 0.062
    else:
        raise ValueError(check)


def gate_verdict(y, p, lr_scores, focal_scores, audit, table, *, failing=()) -> dict:
    """The current gate's verdict on a hand-built test table (one row per youth, one test month); with
    ``failing``, the figures are changed so that the gate fails those checks (an overridable one by default,
    for a refused model)."""
    evidence = gate.evidence(
        np.arange(len(y)),
        y,
        {"model": p, "focal_count": focal_scores, "logistic_regression": lr_scores},
        capacity=200,
        resamples=200,
        seed=1,
    )
    calibration = {"ece": pipeline.reliability(y, p)[1]}
    review = fairness.review(
        audit,
        fairness.youth_intervals(
            table.assign(youth_id=np.arange(len(y))),
            "score",
            "label",
            fairness.PROTECTED,
            audit["threshold"],
            "youth_id",
            {c: audit["by_attribute"][c]["reference_group"] for c in fairness.PROTECTED},
            resamples=400,
        ),
    )
    passing = gate.decide(
        evidence=evidence, calibration=calibration, fairness_review=review, shap_error=1e-15
    )
    assert passing["passed"], (passing["failed"], passing["fairness"]["blocking"])  # it earns its place
    for check in failing:
        _breaks(evidence, calibration, check)
    verdict = gate.decide(
        evidence=evidence, calibration=calibration, fairness_review=review, shap_error=1e-15
    )
    assert verdict["failed"] == [c for c in gate.CHECKS if c in failing]
    return verdict


def login(client, username: str):
    assert client.login(username=username, password=PASSWORD)


def html(response) -> str:
    return response.content.decode()


def row_of(page: str, marker: str) -> str:
    """The table row that carries ``marker`` (e.g. 'data-band="high"')."""
    start = page.index(marker)
    return page[start : page.index("</tr>", start)]


@pytest.fixture
def models(world):
    """An active risk-v1 that has scored once, and a passed candidate risk-v2 trained after it."""
    old = build_risk_model(version=1, status=ModelStatus.ACTIVE, seed=3)
    new = build_risk_model(version=2, seed=7)
    reference = {
        "__score__": {"edges": [0.1], "p": [0.5, 0.5]},
        "age_years": {"edges": [14], "p": [0.4, 0.6]},
    }
    current = {"__score__": {"edges": [0.1], "p": [0.3, 0.7]}, "age_years": {"edges": [14], "p": [0.4, 0.6]}}
    ScoringRun.objects.create(
        model=old,
        as_of=dt.date(2025, 7, 1),
        scored=900,
        figures={
            "bands": {"very_high": 18, "high": 72, "medium": 180, "low": 630},
            "distributions": current,
            "drift_vs_training": service.drift(reference, current),
        },
    )
    return old, new


# ---------------------------------------------------------------------------------------------------------
# Who may read
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", READERS)
def test_model_stewards_and_supervisors_read_the_registry_the_report_and_the_card(client, models, username):
    login(client, username)
    listing = client.get(reverse("riskmodel:model-list"))
    assert listing.status_code == 200
    page = html(listing)
    # Newest first.
    assert page.index('data-version="2"') < page.index('data-version="1"')
    assert client.get(reverse("riskmodel:model-report", args=[2])).status_code == 200
    assert client.get(reverse("riskmodel:model-card", args=[2])).status_code == 200


@pytest.mark.parametrize("username", REFUSED)
def test_every_other_role_is_refused_and_the_refusal_is_logged(client, models, username):
    login(client, username)
    for url in (
        reverse("riskmodel:model-list"),
        reverse("riskmodel:model-report", args=[1]),
        reverse("riskmodel:model-card", args=[1]),
    ):
        assert client.get(url).status_code == 403, url
        assert AuditEntry.objects.filter(
            action=AuditAction.DENIED, username=username, detail__path=url
        ).exists()
    response = client.post(reverse("riskmodel:model-activate", args=[2]))
    assert response.status_code == 403
    assert RiskModel.objects.get(version=2).status == ModelStatus.CANDIDATE


def test_anonymous_visitors_are_sent_to_sign_in(client, models):
    for url in (
        reverse("riskmodel:model-list"),
        reverse("riskmodel:model-report", args=[1]),
        reverse("riskmodel:model-card", args=[1]),
        reverse("riskmodel:model-activate", args=[1]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url


def test_the_navigation_offers_risk_models_only_to_those_who_may_read_them(client, models):
    login(client, "modeller")
    assert reverse("riskmodel:model-list") in html(client.get(reverse("home")))
    client.logout()
    login(client, "officer")
    assert reverse("riskmodel:model-list") not in html(client.get(reverse("home")))


def test_an_unknown_version_answers_404_and_the_miss_is_logged(client, models):
    login(client, "modeller")
    assert client.get(reverse("riskmodel:model-report", args=[99])).status_code == 404
    assert AuditEntry.objects.filter(
        action=AuditAction.DENIED, username="modeller", detail__status=404, detail__object_id="99"
    ).exists()


def test_reading_a_report_or_card_is_logged(client, models):
    login(client, "supervisor")
    client.get(reverse("riskmodel:model-list"))
    client.get(reverse("riskmodel:model-report", args=[2]))
    client.get(reverse("riskmodel:model-card", args=[2]))
    mine = AuditEntry.objects.filter(username="supervisor")
    assert mine.filter(action=AuditAction.LIST, object_type="riskmodel", detail__count=2).exists()
    views = mine.filter(action=AuditAction.VIEW, object_type="riskmodel", object_id=str(models[1].pk))
    assert {e.detail["part"] for e in views} == {"report", "model card"}


# ---------------------------------------------------------------------------------------------------------
# What the report shows
# ---------------------------------------------------------------------------------------------------------


def test_the_report_shows_the_numbers_the_registry_holds(client, models):
    _old, model = models
    login(client, "modeller")
    page = html(client.get(reverse("riskmodel:model-report", args=[2]), HTTP_ACCEPT_LANGUAGE="en"))
    test = model.metrics["test"]
    assert f"{test['roc_auc']:.3f}" in row_of(page, 'data-metric="roc_auc"')
    assert f"{test['average_precision']:.3f}" in row_of(page, 'data-metric="average_precision"')
    assert f"{test['brier']:.3f}" in row_of(page, 'data-metric="brier"')
    assert f"{test['ece']:.3f}" in row_of(page, 'data-metric="ece"')
    for band in model.report["bands"]["table"]:
        row = row_of(page, f'<tr data-band="{band["band"]}"')
        assert f"{band['observed_rate'] * 100:.1f}%" in row, band
        assert f">{band['n']}<" in row
    first = model.report["bands"]["table"][0]
    assert f"about {round(first['observed_rate'] * 100)} of every 100 such youth" in page
    for item in test["at_k"]:
        assert f"{item['precision'] * 100:.1f}%" in row_of(page, f'data-k="{item["k"]}"')
    top = model.report["importance"][0]
    assert indicators.INDICATORS[top["key"]].name_en in row_of(page, f'data-indicator="{top["key"]}"')
    assert f"{top['mean_abs_shap']:.3f}" in row_of(page, f'data-indicator="{top["key"]}"')


def test_every_chart_is_inline_svg_with_a_table_under_it_and_no_inline_code(client, models):
    login(client, "modeller")
    page = html(client.get(reverse("riskmodel:model-report", args=[1])))
    for section in ("bands", "capacity", "calibration", "importance", "beeswarm", "drift"):
        start = page.index(f'id="{section}"')
        body = page[start : page.index("</section>", start)]
        assert '<svg class="chart-svg' in body, section
        assert body.index("<svg") < body.index("<table"), section
        assert "<caption" in body and "<figcaption" in body, section
    assert "<script" not in page
    assert not re.search(r"\sstyle=", page)


def test_the_fairness_tables_show_each_group_with_its_ratio_and_highlight_the_gaps(client, models):
    _old, model = models
    login(client, "modeller")
    page = html(client.get(reverse("riskmodel:model-report", args=[2]), HTTP_ACCEPT_LANGUAGE="en"))
    # The page shows the audit as published: rates and flags of the counts rounded to a multiple of 5.
    for attribute, audit in report.published_fairness(model)["by_attribute"].items():
        start = page.index(f'id="fairness-{attribute}"')
        table = page[start : page.index("</table>", start)]
        for group in audit["groups"]:
            assert f'data-group="{group}"' in table
        reference = audit["reference_group"]
        assert 'class="reference"' in row_of(table, f'data-group="{reference}"')
        for group, metrics in audit["flags"].items():
            for metric in set(metrics) & {"fnr", "fpr", "pprev", "precision"}:
                cell = row_of(table, f'data-group="{group}"')
                assert re.search(rf'class="num flagged[^"]*" data-metric="{metric}"', cell), (group, metric)


def test_the_report_opens_with_a_plain_summary_written_from_its_figures(client, models):
    old, model = models
    login(client, "supervisor")
    page = html(client.get(reverse("riskmodel:model-report", args=[2]), HTTP_ACCEPT_LANGUAGE="en"))
    start = page.index('id="glance"')
    glance = page[start : page.index("</section>", start)]
    assert page.index('id="glance"') < page.index('id="summary"')  # the first screen
    test = model.metrics["test"]
    lr = model.metrics["baselines"]["logistic_regression"]["roc_auc"]
    assert f"{100 * test['roc_auc']:.0f}% of the time" in glance and f"{100 * lr:.0f}% of the time" in glance
    assert ("passed the promotion gate" in glance) == bool(model.gate.get("passed"))
    assert "groups compared with their reference group" in glance
    before = old.metrics["test"]["roc_auc"]
    assert (
        f"Compared with {old.label}, its ROC AUC went from {before:.3f} to {test['roc_auc']:.3f}." in glance
    )


def test_the_fairness_picture_draws_each_groups_ratio_against_the_tolerance_band(client, models):
    _old, model = models
    login(client, "modeller")
    page = html(client.get(reverse("riskmodel:model-report", args=[2]), HTTP_ACCEPT_LANGUAGE="en"))
    start = page.index('aria-labelledby="fairness-chart-title"')
    chart = page[start : page.index("</svg>", start)]
    expected = 0
    for audit in report.published_fairness(model)["by_attribute"].values():
        for group, ratios in (audit.get("disparities") or {}).items():
            n = (audit["groups"].get(group) or {}).get("n") or 0
            if group == audit["reference_group"] or n < 10:
                continue
            for metric in ("fnr", "pprev"):
                ratio = ratios.get(metric)
                if ratio:
                    expected += 1
                    flagged = not 0.8 <= ratio <= 1.25
                    assert f"×{ratio:.2f}".rstrip("0").rstrip(".") in chart, (group, metric)
                    if flagged:
                        assert "dot series-flagged" in chart
    assert expected and chart.count("<circle") == expected
    assert chart.count('class="marker"') == 2  # the band 0.8–1.25


def test_fairness_groups_of_fewer_than_ten_youth_are_shown_rounded_without_their_rates(client, models):
    _old, model = models
    groups = model.fairness["by_attribute"]["district"]["groups"]
    # Three youth, none flagged, none with an outcome: a size published as 0 or 5, and no rates.
    groups["龜山區"] = {**groups["桃園區"], "n": 3, "tp": 0, "fp": 0, "tn": 3, "fn": 0, "fnr": 0.123456}
    model.save(update_fields=["fairness"])
    login(client, "supervisor")
    page = html(client.get(reverse("riskmodel:model-report", args=[2]), HTTP_ACCEPT_LANGUAGE="en"))
    row = row_of(page, 'data-group="龜山區"')
    assert re.search(r'<td class="num">(0|5)</td>', row), row
    assert "too few youth" in row and "12.3%" not in row and "data-metric" not in row


def test_the_report_shows_drift_from_the_latest_scoring_run(client, models):
    login(client, "modeller")
    page = html(client.get(reverse("riskmodel:model-report", args=[1]), HTTP_ACCEPT_LANGUAGE="en"))
    page = page[page.index('id="drift"') :]
    run = ScoringRun.objects.get()
    psi = run.figures["drift_vs_training"]["psi"]["__score__"]
    row = row_of(page, 'data-indicator="__score__"')
    assert f"{psi:.3f}" in row and "level-moderate" in row
    assert "level-stable" in row_of(page, 'data-indicator="age_years"')


def test_the_report_compares_with_the_previous_model(client, models):
    old, model = models
    login(client, "modeller")
    page = html(client.get(reverse("riskmodel:model-report", args=[2]), HTTP_ACCEPT_LANGUAGE="en"))
    start = page.index('id="comparison"')
    section = page[start : page.index("</section>", start)]
    assert "risk-v1" in section
    assert f"{old.metrics['test']['roc_auc']:.3f}" in section
    assert f"{model.metrics['test']['roc_auc']:.3f}" in section
    first = html(client.get(reverse("riskmodel:model-report", args=[1])))
    assert 'id="comparison"' not in first


def test_a_report_is_readable_in_traditional_chinese_with_the_catalogue_names(client, models):
    _old, model = models
    login(client, "supervisor")
    page = html(client.get(reverse("riskmodel:model-report", args=[2]), HTTP_ACCEPT_LANGUAGE="zh-TW"))
    top = model.report["importance"][0]["key"]
    assert indicators.INDICATORS[top].name_zh in page
    assert "模型報告" in page


# ---------------------------------------------------------------------------------------------------------
# Making a model active
# ---------------------------------------------------------------------------------------------------------


def test_promoting_a_model_that_passed_the_gate_retires_the_active_one_and_is_audited(client, models):
    old, model = models
    login(client, "modeller")
    response = client.post(reverse("riskmodel:model-activate", args=[2]))
    assert response.status_code == 302 and response["Location"] == reverse("riskmodel:model-report", args=[2])
    old.refresh_from_db()
    model.refresh_from_db()
    assert model.status == ModelStatus.ACTIVE and model.activated_at is not None
    assert old.status == ModelStatus.RETIRED
    entry = AuditEntry.objects.get(
        action=AuditAction.UPDATE, object_type="riskmodel", object_id=str(model.pk)
    )
    assert entry.username == "modeller" and entry.detail["activated"] is True


def test_a_model_that_failed_the_gate_is_not_made_active_by_one_person_even_with_a_reason(client, models):
    failed = build_risk_model(version=3, gate_passed=False)
    login(client, "supervisor")
    url = reverse("riskmodel:model-activate", args=[3])
    response = client.post(
        url, {"override_reason": "Needed for the pilot; reviewed by the committee"}, follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    failed.refresh_from_db()
    assert failed.status == ModelStatus.CANDIDATE
    assert RiskModel.objects.get(version=1).status == ModelStatus.ACTIVE
    assert "risk-v3 failed these checks of the promotion gate" in html(response)
    assert "a supervisor of the committee decides" in html(response)
    refusal = AuditEntry.objects.get(action=AuditAction.DENIED, object_id=str(failed.pk))
    assert refusal.username == "supervisor" and refusal.detail["code"] == "needs_override"


def test_the_report_page_offers_a_proposal_only_to_model_stewards_when_the_gate_failed(client, models):
    build_risk_model(version=3, gate_passed=False)
    login(client, "modeller")
    passed = html(client.get(reverse("riskmodel:model-report", args=[2])))
    failed = html(client.get(reverse("riskmodel:model-report", args=[3])))
    assert 'id="promote-form"' in passed and 'name="reason"' not in passed
    assert 'id="promote-form"' not in failed
    assert re.search(r'<textarea[^>]*name="reason"[^>]*required', failed)
    assert 'name="csrfmiddlewaretoken"' in failed
    client.logout()
    login(client, "supervisor")
    page = html(client.get(reverse("riskmodel:model-report", args=[3])))
    assert 'id="propose-form"' not in page and 'id="promote-form"' not in page


def test_a_model_without_a_report_cannot_be_made_active(client, models):
    bare = build_risk_model(version=3, with_report=False)
    login(client, "modeller")
    response = client.post(reverse("riskmodel:model-activate", args=[3]), follow=True)
    bare.refresh_from_db()
    assert bare.status == ModelStatus.CANDIDATE
    assert RiskModel.objects.get(version=1).status == ModelStatus.ACTIVE
    assert 'id="no-report"' in html(response)
    assert (
        AuditEntry.objects.get(action=AuditAction.DENIED, object_id=str(bare.pk)).detail["code"]
        == "no_report"
    )
    assert 'id="promote-form"' not in html(response)


def test_the_activate_address_opened_in_a_browser_leads_to_the_promotion_and_changes_nothing(client, models):
    login(client, "modeller")
    response = client.get(reverse("riskmodel:model-activate", args=[2]))
    assert response.status_code == 302
    assert response["Location"] == reverse("riskmodel:model-report", args=[2]) + "#promote"
    assert RiskModel.objects.get(version=2).status == ModelStatus.CANDIDATE


# ---------------------------------------------------------------------------------------------------------
# Model card
# ---------------------------------------------------------------------------------------------------------


def test_the_card_page_shows_the_same_sections_as_the_markdown(client, models):
    _old, model = models
    login(client, "modeller")
    page = html(client.get(reverse("riskmodel:model-card", args=[2]), HTTP_ACCEPT_LANGUAGE="en"))
    with translation.override("en"):
        sections = model_card.sections(model)
        markdown = model_card.render(model)
    assert [s.title for s in sections] == list(MITCHELL_SECTIONS)
    for section in sections:
        assert f">{section.title}</h2>" in page and f"## {section.title}" in markdown
        for bullet in section.bullets:
            assert bullet.replace("'", "&#x27;").replace('"', "&quot;") in page
            assert f"- {bullet}" in markdown
    assert "court" in markdown and "punitive" in markdown


def test_the_model_card_command_writes_every_mitchell_section(models, tmp_path):
    out = tmp_path / "card.md"
    call_command("model_card", "--version", "2", "--out", str(out), "--language", "en")
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Model card: risk-v2")
    for heading in MITCHELL_SECTIONS:
        assert f"\n## {heading}\n" in text
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, object_type="riskmodel").exists()


def test_the_model_card_command_writes_to_docs_model_cards_by_default_in_chinese(models, tmp_path, settings):
    settings.BASE_DIR = tmp_path
    call_command("model_card", "--version", "1")
    text = (tmp_path / "docs" / "model-cards" / "risk-v1.md").read_text(encoding="utf-8")
    with translation.override("zh-hant"):
        titles = [s.title for s in model_card.sections(RiskModel.objects.get(version=1))]
    for title in titles:
        assert f"\n## {title}\n" in text
    assert "## 模型細節" in text


# ---------------------------------------------------------------------------------------------------------
# API
# ---------------------------------------------------------------------------------------------------------


def test_the_api_lists_models_and_returns_the_report_in_the_detail(client, models):
    login(client, "modeller")
    listing = client.get("/api/models/").json()
    assert [m["version"] for m in listing["results"]] == [2, 1]
    assert "report" not in listing["results"][0]
    detail = client.get("/api/models/2/").json()
    model = RiskModel.objects.get(version=2)
    assert detail["report"]["bands"] == model.report["bands"]
    assert detail["fairness"]["threshold"] == model.fairness["threshold"]
    assert detail["test"]["roc_auc"] == model.metrics["test"]["roc_auc"]
    assert "booster" not in detail


def test_the_api_activates_with_the_same_rules_as_the_page(client, models):
    failed = build_risk_model(version=3, gate_passed=False)
    login(client, "officer")
    assert client.post("/api/models/2/activate/", {}, content_type="application/json").status_code == 403
    client.logout()
    login(client, "police_supervisor")
    refused = client.post(
        "/api/models/3/activate/", {"override_reason": "Pilot, reviewed"}, content_type="application/json"
    )
    assert refused.status_code == 400
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, username="police_supervisor").exists()
    failed.refresh_from_db()
    assert failed.status == ModelStatus.CANDIDATE
    done = client.post("/api/models/2/activate/", {}, content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == ModelStatus.ACTIVE
    assert RiskModel.objects.get(version=1).status == ModelStatus.RETIRED


def test_the_api_refuses_a_model_without_a_report(client, models):
    build_risk_model(version=3, with_report=False)
    login(client, "modeller")
    response = client.post("/api/models/3/activate/", {}, content_type="application/json")
    assert response.status_code == 400
    assert RiskModel.objects.get(version=3).status == ModelStatus.CANDIDATE


def test_the_active_models_report_offers_no_promotion(client, models):
    login(client, "modeller")
    page = html(client.get(reverse("riskmodel:model-report", args=[1])))
    assert RiskModel.objects.get(version=1).status == ModelStatus.ACTIVE
    assert 'id="promote-form"' not in page
