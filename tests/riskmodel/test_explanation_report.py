"""The supervisor's model explanation report: ``/models/active/`` shows the report on the model that scores
the youth now, compared with the model that was active before it; how each indicator's effect moves with its
value (the dependence summary), drift from one scoring run to the next, and every chart with a table of the
same numbers.

Registry entries are built by hand with :func:`build_risk_model` (the real pipeline's JSON, no LightGBM
training), and the selectors of ``riskmodel.report`` are tested on plain lists.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest
from django.urls import reverse

from casework.access.audit import Actor
from casework.models import AuditAction, AuditEntry
from riskmodel import indicators, report, service
from riskmodel.models import ModelStatus, RiskModel, ScoringRun
from riskmodel.readings import signed
from tests.riskmodel.test_registry_pages import READERS, REFUSED, build_risk_model, html, login, row_of

ACTIVE_REPORT = "riskmodel:active-report"

# Test-period figures written into the registry by hand, so the comparison can be checked to the digit.
BEFORE = {"roc_auc": 0.61234, "average_precision": 0.08765, "brier": 0.04321, "ece": 0.01234}
AFTER = {"roc_auc": 0.70123, "average_precision": 0.15678, "brier": 0.03987, "ece": 0.00876}
BEFORE_AT_K = {25: 0.24, 50: 0.22, 100: 0.17, 200: 0.125}
AFTER_AT_K = {25: 0.36, 50: 0.3, 100: 0.21, 200: 0.155}


def _set_test_metrics(model: RiskModel, headline: dict, at_k: dict) -> None:
    test = model.metrics["test"]
    test.update(headline)
    test["at_k"] = [{**item, "precision": at_k[item["k"]]} for item in test["at_k"]]
    model.save(update_fields=["metrics"])


def _section(page: str, section_id: str) -> str:
    start = page.index(f'id="{section_id}"')
    return page[start : page.index("</section>", start)]


@pytest.fixture
def history(world):
    """risk-v1 was active; risk-v2 was trained but never used; risk-v3 then replaced risk-v1 and has scored
    twice (the second run compared with the first)."""
    first = build_risk_model(version=1, seed=3)
    build_risk_model(version=2, seed=5)
    active = build_risk_model(version=3, seed=7)
    _set_test_metrics(first, BEFORE, BEFORE_AT_K)
    _set_test_metrics(active, AFTER, AFTER_AT_K)
    service.activate_model(model=first, actor=Actor.system("test"))
    service.activate_model(model=active, actor=Actor.system("test"))
    reference = {
        "__score__": {"edges": [0.1], "p": [0.5, 0.5]},
        "age_years": {"edges": [14], "p": [0.4, 0.6]},
        "police_offence_contacts_365d": {"edges": [0.5], "p": [0.9, 0.1]},
    }
    july = {
        "__score__": {"edges": [0.1], "p": [0.45, 0.55]},
        "age_years": {"edges": [14], "p": [0.4, 0.6]},
        "police_offence_contacts_365d": {"edges": [0.5], "p": [0.88, 0.12]},
    }
    august = {
        "__score__": {"edges": [0.1], "p": [0.2, 0.8]},
        "age_years": {"edges": [14], "p": [0.42, 0.58]},
        "police_offence_contacts_365d": {"edges": [0.5], "p": [0.6, 0.4]},
    }
    ScoringRun.objects.create(
        model=active,
        as_of=dt.date(2025, 7, 1),
        scored=900,
        figures={
            "bands": {"very_high": 18, "high": 72, "medium": 180, "low": 630},
            "distributions": july,
            "drift_vs_training": service.drift(reference, july),
        },
    )
    ScoringRun.objects.create(
        model=active,
        as_of=dt.date(2025, 8, 1),
        scored=910,
        figures={
            "bands": {"very_high": 18, "high": 73, "medium": 182, "low": 637},
            "distributions": august,
            "drift_vs_training": service.drift(reference, august),
            "drift_vs_previous_run": {"as_of": "2025-07-01", **service.drift(july, august)},
        },
    )
    first.refresh_from_db()
    active.refresh_from_db()
    return first, active


# ---------------------------------------------------------------------------------------------------------
# Who may read it
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", READERS)
def test_supervisors_and_model_stewards_read_the_active_model_report(client, history, username):
    _first, active = history
    login(client, username)
    response = client.get(reverse(ACTIVE_REPORT), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = html(response)
    assert "Active model report: risk-v3" in page
    assert reverse("riskmodel:model-report", args=[3]) in page
    assert AuditEntry.objects.filter(
        action=AuditAction.VIEW,
        username=username,
        object_type="riskmodel",
        object_id=str(active.pk),
        detail__part="active report",
    ).exists()


@pytest.mark.parametrize("username", REFUSED)
def test_every_other_role_is_refused_the_active_model_report(client, history, username):
    login(client, username)
    url = reverse(ACTIVE_REPORT)
    response = client.get(url)
    assert response.status_code == 403
    assert "risk-v3" not in html(response)
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, username=username, detail__path=url).exists()


def test_an_officer_is_refused_even_when_no_model_is_active(client, world):
    login(client, "officer")
    assert client.get(reverse(ACTIVE_REPORT)).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, history):
    response = client.get(reverse(ACTIVE_REPORT))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_with_no_active_model_the_page_says_so_instead_of_404(client, world):
    build_risk_model(version=1)
    login(client, "supervisor")
    response = client.get(reverse(ACTIVE_REPORT), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = html(response)
    assert 'id="no-active-model"' in page and "No model is active" in page
    assert f'href="{reverse("riskmodel:model-report", args=[1])}" id="latest-link"' in page
    assert "<svg" not in page


def test_the_registry_links_to_the_active_model_report(client, history):
    login(client, "modeller")
    assert reverse(ACTIVE_REPORT) in html(client.get(reverse("riskmodel:model-list")))


# ---------------------------------------------------------------------------------------------------------
# Comparison with the previous model
# ---------------------------------------------------------------------------------------------------------


def test_the_active_model_is_compared_with_the_model_active_before_it_not_the_previous_version(history):
    first, active = history
    predecessor = report.previous_model(active)
    assert predecessor.model == first and predecessor.reason == "active_before"
    # A model never made active is compared with the version before it.
    candidate = RiskModel.objects.get(version=2)
    assert report.previous_model(candidate).model == first
    assert report.previous_model(candidate).reason == "previous_version"
    assert report.previous_model(first) is None


def test_the_comparison_shows_both_models_stored_metric_values(client, history):
    login(client, "supervisor")
    page = html(client.get(reverse(ACTIVE_REPORT), HTTP_ACCEPT_LANGUAGE="en"))
    section = _section(page, "comparison")
    assert "risk-v1 was the active model until risk-v3 took its place." in section
    for metric in ("roc_auc", "average_precision", "brier", "ece"):
        row = row_of(section, f'data-metric="{metric}"')
        before, after = BEFORE[metric], AFTER[metric]
        assert f'data-model="previous"><data value="{before!r}">{before:.3f}</data>' in row, metric
        assert f'data-model="this"><data value="{after!r}">{after:.3f}</data>' in row, metric
    for k, before in BEFORE_AT_K.items():
        row = row_of(section, f'data-metric="precision_at_{k}"')
        after = AFTER_AT_K[k]
        assert f'<data value="{before!r}">{before * 100:.1f}%</data>' in row, k
        assert f'<data value="{after!r}">{after * 100:.1f}%</data>' in row, k
        assert f"{(after - before) * 100:+.1f} pp" in row, k
    # Better ranking shows as better (green), a lower calibration error too.
    assert "weight-pos" in row_of(section, 'data-metric="roc_auc"')
    assert "weight-pos" in row_of(section, 'data-metric="ece"')


def test_the_comparison_shows_how_the_top_indicators_importance_changed(client, history):
    first, active = history
    login(client, "modeller")
    page = html(client.get(reverse(ACTIVE_REPORT), HTTP_ACCEPT_LANGUAGE="en"))
    table = page[page.index('id="comparison-importance-table"') :]
    table = table[: table.index("</table>")]
    now = {item["key"]: (rank, item) for rank, item in enumerate(active.report["importance"], 1)}
    before = {item["key"]: (rank, item) for rank, item in enumerate(first.report["importance"], 1)}
    for key in [i["key"] for i in active.report["importance"][: report.TOP_COMPARED]]:
        row = row_of(table, f'data-indicator="{key}"')
        assert indicators.INDICATORS[key].name_en in row
        assert (
            f'<td class="num">{now[key][0]}</td>' in row and f'<td class="num">{before[key][0]}</td>' in row
        )
        assert f"{now[key][1]['mean_abs_shap']:.3f}" in row
        assert f"{before[key][1]['mean_abs_shap']:.3f}" in row


def test_importance_change_lists_the_top_of_either_model_with_ranks_and_changes():
    current = [
        {"key": "a", "mean_abs_shap": 0.5},
        {"key": "b", "mean_abs_shap": 0.3},
        {"key": "c", "mean_abs_shap": 0.1},
    ]
    previous = [
        {"key": "b", "mean_abs_shap": 0.4},
        {"key": "d", "mean_abs_shap": 0.2},
        {"key": "a", "mean_abs_shap": 0.1},
    ]
    rows = report.importance_change(current, previous, top=2)
    # c is third in the current model and absent from the previous one: in neither top 2, so not listed.
    assert [r["key"] for r in rows] == ["a", "b", "d"]
    a, b, d = rows
    assert (a["rank_before"], a["rank_now"]) == (3, 1) and a["change"] == pytest.approx(0.4)
    assert a["entered_top"] and not a["left_top"]
    assert (b["rank_before"], b["rank_now"]) == (1, 2) and b["change"] == pytest.approx(-0.1)
    assert not b["entered_top"] and not b["left_top"]
    assert d["rank_now"] is None and d["now"] is None and d["change"] is None
    assert d["left_top"] and not d["entered_top"]


# ---------------------------------------------------------------------------------------------------------
# Dependence summary
# ---------------------------------------------------------------------------------------------------------


def test_dependence_summary_averages_shap_values_in_bins_of_about_equal_size():
    values = [0, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7]
    shap = [-0.2, -0.2, -0.1, -0.1, 0.1, 0.3, 0.2, 0.4, 0.5, 0.7, 0.9, 1.1]
    bins = report.dependence_summary(values, shap, max_bins=3)
    assert [(b["low"], b["high"], b["n"]) for b in bins] == [(0, 0, 4), (1, 3, 4), (4, 7, 4)]
    assert [b["mean_shap"] for b in bins] == pytest.approx([-0.15, 0.25, 0.8])


def test_dependence_summary_gives_each_value_its_own_bin_when_there_are_few():
    flag = np.array([1, 0, 1, 0, 1])
    shap = np.array([0.5, -0.1, 0.4, -0.3, 0.6])
    bins = report.dependence_summary(flag, shap, max_bins=5)
    assert [(b["low"], b["high"], b["n"]) for b in bins] == [(0, 0, 2), (1, 1, 3)]
    assert [b["mean_shap"] for b in bins] == pytest.approx([-0.2, 0.5])


def test_dependence_summary_never_splits_youth_with_the_same_value():
    # Halves would put five zeros left and one zero right; the six zeros stay together instead.
    values = [0, 0, 0, 0, 0, 0, 1, 2, 3, 4]
    shap = [0.0, 0.0, 0.0, 0.0, 0.0, -0.6, 1.0, 1.0, 1.0, 1.0]
    bins = report.dependence_summary(values, shap, max_bins=2)
    assert [(b["low"], b["high"], b["n"]) for b in bins] == [(0, 0, 6), (1, 4, 4)]
    assert [b["mean_shap"] for b in bins] == pytest.approx([-0.1, 1.0])


def test_dependence_summary_leaves_out_missing_values_and_refuses_mismatched_lengths():
    bins = report.dependence_summary([0, None, 1, float("nan"), 1], [0.2, 9.0, 0.4, 9.0, None])
    assert [(b["low"], b["n"], b["mean_shap"]) for b in bins] == [(0, 1, 0.2), (1, 1, 0.4)]
    assert report.dependence_summary([], []) == []
    with pytest.raises(ValueError):
        report.dependence_summary([0, 1], [0.1])


def test_the_stored_sample_is_read_as_shap_value_then_scaled_value():
    points = [[-0.3, 0.0], [-0.1, 0.0], [0.8, 1.0]]
    assert report.sample_dependence(points) == [
        {"low": 0.0, "high": 0.0, "n": 2, "mean_shap": pytest.approx(-0.2)},
        {"low": 1.0, "high": 1.0, "n": 1, "mean_shap": pytest.approx(0.8)},
    ]


def test_the_report_shows_the_dependence_of_each_sampled_indicator(client, history):
    _first, active = history
    login(client, "supervisor")
    page = html(client.get(reverse(ACTIVE_REPORT), HTTP_ACCEPT_LANGUAGE="en"))
    section = _section(page, "dependence")
    for item in active.report["beeswarm"]:
        bins = report.sample_dependence(item["points"])
        start = section.index(f'<tbody data-indicator="{item["key"]}">')
        group = section[start : section.index("</tbody>", start)]
        assert group.count("<tr") == len(bins), item["key"]
        for b in bins:
            assert f">{signed(b['mean_shap'], 2)}</td>" in group
            assert f'<td class="num">{b["n"]}</td>' in group
    # The linear test model raises the score with more police contacts: the bar of the highest values is
    # above the zero line and the table reads it as such.
    group = section[section.index('<tbody data-indicator="police_offence_contacts_365d">') :]
    assert "higher values raise the score" in group[: group.index("</tbody>")]


# ---------------------------------------------------------------------------------------------------------
# Drift between scoring runs
# ---------------------------------------------------------------------------------------------------------


def test_the_report_shows_drift_between_the_last_two_scoring_runs(client, history):
    login(client, "modeller")
    page = html(client.get(reverse(ACTIVE_REPORT), HTTP_ACCEPT_LANGUAGE="en"))
    latest = ScoringRun.objects.get(as_of=dt.date(2025, 8, 1))
    between = latest.figures["drift_vs_previous_run"]
    table = page[page.index('id="drift-previous-table"') :]
    table = table[: table.index("</table>")]
    for key in ("__score__", "police_offence_contacts_365d"):
        row = row_of(table, f'data-indicator="{key}"')
        assert f"{between['psi'][key]:.3f}" in row
        assert f"level-{between['levels'][key]}" in row
    assert between["levels"]["__score__"] == "major"
    history_table = page[page.index('id="drift-history-table"') :]
    history_table = history_table[: history_table.index("</table>")]
    assert "—" in row_of(history_table, 'data-run="2025-07-01"')
    row = row_of(history_table, 'data-run="2025-08-01"')
    assert f"{between['psi']['__score__']:.3f}" in row and "2025-07-01" in row
    assert indicators.INDICATORS["police_offence_contacts_365d"].name_en in row


def test_a_rerun_on_the_same_date_replaces_the_earlier_run_in_the_history(history):
    _first, active = history
    august = ScoringRun.objects.get(as_of=dt.date(2025, 8, 1))
    rerun = ScoringRun.objects.create(model=active, as_of=august.as_of, scored=911, figures=august.figures)
    runs = report.latest_runs(active)
    assert [r.as_of for r in runs] == [dt.date(2025, 8, 1), dt.date(2025, 7, 1)]
    assert runs[0] == rerun
    assert report.latest_runs(active, limit=1) == [rerun]


# ---------------------------------------------------------------------------------------------------------
# Charts and their tables
# ---------------------------------------------------------------------------------------------------------

# The parts the issue asks for, each in its own section of the page.
REPORT_PARTS = ("beeswarm", "dependence", "calibration", "capacity", "fairness", "drift", "comparison")


def test_every_chart_has_a_title_and_a_table_of_the_same_numbers_and_no_inline_code(client, history):
    login(client, "supervisor")
    page = html(client.get(reverse(ACTIVE_REPORT), HTTP_ACCEPT_LANGUAGE="en"))
    figures = [m.start() for m in re.finditer(r"<figure ", page)]
    # bands, capacity, calibration, importance, beeswarm, dependence, fairness, drift x3, comparison x2
    assert len(figures) == 12
    for n, start in enumerate(figures):
        end = page.index("</figure>", start)
        figure = page[start:end]
        svg = re.search(r'<svg class="chart-svg[^"]*"[^>]*role="img" aria-labelledby="([^"]+)"', figure)
        assert svg, figure[:200]
        assert f'<title id="{svg.group(1)}">' in figure
        assert "<figcaption" in figure
        # The table comes after the chart, before the next chart or the end of its section.
        following = figures[n + 1] if n + 1 < len(figures) else len(page)
        after = page[end : min(following, page.index("</section>", end))]
        assert "<table" in after and "<caption" in after, figure[:200]
    for section in REPORT_PARTS:
        assert f'id="{section}"' in page, section
    assert "<script" not in page
    assert not re.search(r"\sstyle=", page)
    assert not re.search(r"\son[a-z]+=", page)


def test_the_active_model_report_reads_in_traditional_chinese(client, history):
    _first, active = history
    login(client, "supervisor")
    page = html(client.get(reverse(ACTIVE_REPORT), HTTP_ACCEPT_LANGUAGE="zh-TW"))
    top = active.report["importance"][0]["key"]
    assert indicators.INDICATORS[top].name_zh in _section(page, "comparison")
    assert "風險模型" in page


def test_the_per_version_report_keeps_comparing_a_candidate_with_the_version_before_it(client, history):
    login(client, "modeller")
    page = html(client.get(reverse("riskmodel:model-report", args=[2]), HTTP_ACCEPT_LANGUAGE="en"))
    section = _section(page, "comparison")
    assert "risk-v1 is the version trained before this one." in section
    assert RiskModel.objects.get(version=3).status == ModelStatus.ACTIVE
