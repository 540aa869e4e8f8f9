"""The model card of a registered risk model (Mitchell et al., "Model Cards for Model Reporting", 2019). The plain
readings of a model's numbers that the card and the model report page share are in :mod:`riskmodel.readings`,
the promotion gate's verdict in words in :mod:`riskmodel.gate_text`.

:func:`sections` builds the card as data (titles, paragraphs, bullet points, tables); :func:`render` writes
it as Markdown (the ``model_card`` command) and ``templates/riskmodel/model_card.html`` shows the same
sections on the page. Everything comes from the registry row (config, data snapshot, code version, seed,
metrics, fairness audit, report, gate) and the access log (who activated it, and why); nothing is computed
anew here except ratios and wording.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from riskmodel.gate_text import confidence_side, failed_names, gate_sentences
from riskmodel.readings import (
    BASELINE_NAMES,
    BASELINES,
    HEADLINE,
    METRIC_NAMES,
    activation,
    attribute_name,
    attributes,
    band_rows,
    dec,
    fairness_summary,
    horizon_months,
    label_text,
    metric_text,
    pct,
    test_metrics,
    test_outcomes,
)

from .models import RiskModel

# ---------------------------------------------------------------------------------------------------------
# The card
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Table:
    caption: str
    header: list[str]
    rows: list[list[str]]


@dataclass
class Section:
    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


def _model_details(model: RiskModel) -> Section:
    config = model.config or {}
    lgbm = config.get("lgbm") or {}
    calibration = config.get("calibration", "isotonic")
    calibration_name = _("isotonic calibration") if calibration == "isotonic" else _("Platt calibration")
    owner = model.trained_by.get_username() if model.trained_by else _("a scheduled job (no person)")
    entry = activation(model)
    bullets = [
        _("Version: %(label)s (registry version %(version)s), status: %(status)s.")
        % {"label": model.label, "version": model.version, "status": model.get_status_display()},
        _("Trained on %(created)s on what was known by %(as_of)s.")
        % {"created": timezone.localdate(model.created_at).isoformat(), "as_of": model.as_of.isoformat()},
        _(
            "Type: gradient-boosted decision trees (LightGBM, %(trees)s trees of at most %(leaves)s leaves) "
            "whose output is turned into a probability by %(calibration)s fitted on a later period than "
            "training."
        )
        % {
            "trees": lgbm.get("n_estimators", "—"),
            "leaves": lgbm.get("num_leaves", "—"),
            "calibration": calibration_name,
        },
        _("Inputs: %(n)s indicators from the catalogue (docs/indicators.md).")
        % {"n": len(config.get("features") or [])},
        _("Predicts: %(label)s within %(months)s months of the scoring date.")
        % {"label": label_text(model.label_variant), "months": horizon_months(model)},
        _("Code version: %(code)s; random seed: %(seed)s.")
        % {"code": model.code_version or "—", "seed": model.seed},
        _(
            "Owner: the guidance committee's model stewards, who keep the model registry; trained by "
            "%(owner)s."
        )
        % {"owner": owner},
    ]
    if model.activated_at:
        bullets.append(
            _("Made active on %(when)s by %(who)s.")
            % {
                "when": timezone.localdate(model.activated_at).isoformat(),
                "who": (entry.username or entry.path) if entry else "—",
            }
        )
    return Section("model-details", _("Model details"), bullets=bullets)


def _intended_use(model: RiskModel) -> Section:
    return Section(
        "intended-use",
        _("Intended use"),
        paragraphs=[
            _(
                "The score helps juvenile officers, guidance workers and social workers, who have too little "
                "time to reach everyone, decide whom to offer supportive, voluntary help first, under the "
                "city's Prediction · Prevention · Protection (3P) programme. A person reviews every score "
                "with its reasons and the integrated record, and decides; the platform records who decided "
                "what, and why."
            )
        ],
        bullets=[
            _("Use it to order outreach: who to visit, call or refer first, and which offer of help fits."),
            _("Read a score as a band with its reasons, never as a finding about a child."),
            _("Out of scope: any punitive use, police investigation or surveillance."),
            _("Out of scope: court proceedings of any kind; a score is never shown to a court."),
            _("Out of scope: deciding eligibility for benefits, services or school places."),
            _("Out of scope: any decision taken without a person reviewing the case."),
        ],
    )


def _factors(model: RiskModel) -> Section:
    fairness = model.fairness or {}
    names = [attribute_name(a) for a, _audit in attributes(model)]
    pairs = ((fairness.get("pairs") or {}).get("pairs")) or {}
    min_n = (fairness.get("pairs") or {}).get("min_n", 30)
    bullets = [
        _("Groups audited: %(groups)s.") % {"groups": ", ".join(names) or "—"},
        _(
            "Pairs of attributes audited together (%(n)s pairs); groups with fewer than %(min_n)s youth are "
            "left out because their rates would be noise."
        )
        % {"n": len(pairs), "min_n": min_n},
        _(
            "None of these attributes is a model input: they are kept apart (FairnessAttributes) only so "
            "that this audit can be done. Age is an input."
        ),
        _(
            "Other factors reported: the label definition (three narrower labels beside the model's own) "
            "and the household indicators (the model retrained without them)."
        ),
    ]
    return Section("factors", _("Factors"), bullets=bullets)


def _metrics_section(model: RiskModel) -> Section:
    capacities = ", ".join(str(k) for k in (model.config or {}).get("capacities") or [])
    return Section(
        "metrics",
        pgettext("model card section", "Metrics"),
        bullets=[
            _(
                "Precision and recall at capacity k (k = %(k)s): teams can reach only so many youth, so "
                "what matters is how many of the top k later had an adverse outcome (precision) and what "
                "share of all such youth the top k include (recall)."
            )
            % {"k": capacities or "—"},
            _(
                "ROC AUC and average precision: how well the whole list is ordered, compared with a count "
                "of focal indicators, logistic regression and random order."
            ),
            _(
                "Brier score, calibration error (ECE) and the calibration curve: bands and scores are read "
                "as chances, so they must match the outcome rates actually seen."
            ),
            _(
                "Fairness rates per group at the capacity threshold: missed children (FNR) first, then who "
                "gets flagged (share flagged against the group's outcome rate) and families contacted "
                "without need (FPR), each as a ratio to the largest group, with 95-percent bootstrap intervals."
            ),
        ],
    )


def _evaluation_data(model: RiskModel) -> Section:
    metrics = model.metrics or {}
    split = metrics.get("split") or {}
    rows = metrics.get("rows") or {}
    test = test_metrics(model)
    return Section(
        "evaluation-data",
        _("Evaluation data"),
        paragraphs=[
            _(
                "A temporal test: the model is judged on months after everything it learned from, as it "
                "would be used. Each row is one youth aged 12–17 on one test date, with the indicators known "
                "on that date and what happened in the following %(months)s months."
            )
            % {"months": horizon_months(model)}
        ],
        bullets=[
            _("Test dates: %(dates)s.") % {"dates": ", ".join(split.get("test") or []) or "—"},
            _("Test rows: %(rows)s; with an adverse outcome: %(outcomes)s (%(rate)s).")
            % {
                "rows": rows.get("test", test.get("n", "—")),
                "outcomes": test_outcomes(model) if test_outcomes(model) is not None else "—",
                "rate": pct(test.get("prevalence")),
            },
            _("Calibration dates (later than training, before the test): %(dates)s; rows: %(rows)s.")
            % {
                "dates": ", ".join(split.get("calibration") or []) or "—",
                "rows": rows.get("calibration", "—"),
            },
        ],
    )


def _training_data(model: RiskModel) -> Section:
    snapshot = model.data_snapshot or {}
    split = (model.metrics or {}).get("split") or {}
    train = split.get("train") or []
    rows = (model.metrics or {}).get("rows") or {}
    return Section(
        "training-data",
        _("Training data"),
        paragraphs=[
            _(
                "The platform's own integrated records (education, police and welfare feeds, linked into one "
                "record per youth), as known on each training date. Sealed records count as never made. "
                "Training dates end a full label window before the first test date, so no training label "
                "overlaps the test period."
            )
        ],
        bullets=[
            _("Known by: %(d)s; feeds used from: %(start)s.")
            % {"d": snapshot.get("known_by", "—"), "start": snapshot.get("data_start", "—")},
            _("Events known: %(events)s; youth in the matrix: %(youth)s.")
            % {"events": snapshot.get("events", "—"), "youth": snapshot.get("youth", "—")},
            _("Training dates: %(n)s months, %(first)s to %(last)s; rows: %(rows)s.")
            % {
                "n": len(train),
                "first": train[0] if train else "—",
                "last": train[-1] if train else "—",
                "rows": rows.get("train", "—"),
            },
            _("Fingerprint of the training matrix (SHA-256): %(sha)s.")
            % {"sha": snapshot.get("matrix_sha256", "—")},
        ],
    )


def headline_table(model: RiskModel) -> Table:
    test = test_metrics(model)
    baselines = (model.metrics or {}).get("baselines") or {}
    header = [_("Metric"), *[str(BASELINE_NAMES[b]) for b in ("model", *BASELINES)]]
    rows = []
    for name in HEADLINE:
        row = [str(METRIC_NAMES[name]), metric_text(name, test.get(name))]
        row += [metric_text(name, (baselines.get(b) or {}).get(name)) for b in BASELINES]
        rows.append(row)
    return Table(_("Headline metrics on the test period, with the baselines"), header, rows)


def at_k_table(model: RiskModel) -> Table:
    test = test_metrics(model)
    baselines = (model.metrics or {}).get("baselines") or {}
    header = [_("Capacity k"), *[str(BASELINE_NAMES[b]) for b in ("model", *BASELINES)]]
    rows = []
    for i, item in enumerate(test.get("at_k") or []):
        row = [str(item.get("k")), f"{pct(item.get('precision'))} / {pct(item.get('recall'))}"]
        for b in BASELINES:
            other = (baselines.get(b) or {}).get("at_k") or []
            other = other[i] if i < len(other) else {}
            row.append(f"{pct(other.get('precision'))} / {pct(other.get('recall'))}")
        rows.append(row)
    return Table(_("Precision / recall among the top k of the test period"), header, rows)


def _quantitative(model: RiskModel) -> Section:
    bands = band_rows(model)
    fairness = fairness_summary(model)
    ablation = (model.report or {}).get("ablation_without_household") or {}
    tables = [headline_table(model), at_k_table(model)]
    if bands:
        tables.append(
            Table(
                _("What each band means in the test period"),
                [_("Band"), _("Share of youth"), _("Lowest score in band"), _("Observed outcome rate")],
                [[b["label"], b["share_text"], b["min_score_text"], b["observed_text"]] for b in bands],
            )
        )
    if fairness:
        threshold = (model.fairness or {}).get("threshold")
        tables.append(
            Table(
                _("Fairness audit at the capacity threshold (score ≥ %(t)s): groups outside 0.8–1.25")
                % {"t": pct(threshold, 2)},
                [_("Attribute"), _("Reference group"), _("Groups"), _("Outside the band")],
                [
                    [f["name"], f["reference"], str(f["groups"]), "; ".join(f["flagged"]) or _("none")]
                    for f in fairness
                ],
            )
        )
    paragraphs = [b["sentence"] for b in bands]
    if ablation.get("test"):
        paragraphs.append(ablation_sentence(model))
    return Section("quantitative-analyses", _("Quantitative analyses"), paragraphs=paragraphs, tables=tables)


def ablation_sentence(model: RiskModel) -> str:
    ablation = (model.report or {}).get("ablation_without_household") or {}
    without = ablation.get("test") or {}
    return _(
        "Without the %(n)s household indicators the ROC AUC is %(without)s against %(with)s with them, and "
        "the average precision %(ap_without)s against %(ap_with)s."
    ) % {
        "n": len(ablation.get("excluded") or []),
        "without": dec(without.get("roc_auc")),
        "with": dec(test_metrics(model).get("roc_auc")),
        "ap_without": dec(without.get("average_precision")),
        "ap_with": dec(test_metrics(model).get("average_precision")),
    }


def _ethics(model: RiskModel) -> Section:
    district = ((model.fairness or {}).get("by_attribute") or {}).get("district") or {}
    flagged_districts = [
        g for g, m in (district.get("flags") or {}).items() if set(m or []) & {"fnr", "pprev", "fpr"}
    ]
    bullets = [
        _(
            "Labels record what the system did, not only what the youth did. Police contacts depend on "
            "how closely each district is policed, so youth in heavily policed districts have more "
            "recorded contacts, look riskier and are flagged more. District is not an input, but the "
            "police indicators carry it; the audit by district shows %(n)s of %(total)s districts outside "
            "the band on missed, flagged or contacted-without-need rates."
        )
        % {"n": len(flagged_districts), "total": len(district.get("groups") or {})},
        _(
            "Self-fulfilling labels: outreach itself creates records (cases, interventions, reports), and "
            "a youth who is watched more has more recorded outcomes. When help works, the predicted outcome "
            "does not happen and the model looks wrong. Judge new models on periods before the previous "
            "model was in use where possible, and read recorded outcomes with this in mind."
        ),
        _(
            "Sealed records (Juvenile Justice Act Art. 83-1) count as never made: they are removed from "
            "every indicator and label. A model trained before a sealing notice has learned patterns that "
            "included the record; retrain after sealing notices so no model keeps them."
        ),
        _(
            "Protected attributes (sex, indigenous status, new-immigrant parentage, district, household "
            "low income as a group) are never inputs. They are kept apart for the fairness audit only. "
            "Other indicators can still stand in for them, which is why the audit is run on every model."
        ),
        _(
            "Household indicators describe the family, not the youth, and can keep flagging a child for "
            "the family's situation. They point to help the family can be offered, and every report shows "
            "the model retrained without them. %(ablation)s"
        )
        % {"ablation": ablation_sentence(model)},
        _(
            "What this field has taught: lists without a supportive protocol led to more "
            "arrests, not more help; registration errors produced unjustified flags; families had no way "
            "to correct data. Here a score only ever leads to an offer of help, overrides are logged and "
            "reviewed, records can be corrected and sealed, and data expires."
        ),
    ]
    return Section("ethical-considerations", _("Ethical considerations"), bullets=bullets)


def caveats(model: RiskModel) -> list[str]:
    """What a reader should know before relying on this model, derived from its own numbers."""
    out = []
    test = test_metrics(model)
    verdict = model.gate or {}
    sentences = gate_sentences(verdict)
    if verdict and not verdict.get("passed"):
        out.append(
            _("The model did not pass the promotion gate: %(failed)s.") % {"failed": failed_names(verdict)}
        )
        out += [s["text"] for s in sentences if not s["passed"]]
        entry = activation(model)
        if entry and (entry.detail or {}).get("override_reason"):
            out.append(
                _("It was made active anyway, with this reason: “%(reason)s”.")
                % {"reason": entry.detail["override_reason"]}
            )
    # A simple baseline the test months cannot tell apart from the model may do as well: say so, in figures.
    differences = (verdict.get("evidence") or {}).get("differences") or {}
    for s in sentences:
        if s["passed"] and s["key"] in ("baselines_auc", "baselines_precision"):
            metric = "roc_auc" if s["key"] == "baselines_auc" else "precision_at_k"
            if any(
                confidence_side((differences.get(b) or {}).get(metric)) != "above"
                for b in ("logistic_regression", "focal_count")
            ):
                out.append(s["text"])
    if not sentences and test.get("roc_auc") is not None:
        # A model judged by the earlier gate, which did not test it against chance: its figures, no verdict.
        lr = ((model.metrics or {}).get("baselines") or {}).get("logistic_regression") or {}
        out.append(
            _(
                "ROC AUC %(auc)s on the test period, against 0.5 for random order and %(lr)s for logistic "
                "regression. This model was judged by an earlier promotion gate, which did not test whether it "
                "orders youth better than chance."
            )
            % {"auc": dec(test.get("roc_auc")), "lr": dec(lr.get("roc_auc"))}
        )
    bands = band_rows(model)
    if any(b["note"] for b in bands):
        out.append(
            _(
                "Bands are not the intended sizes because many youth share the same calibrated score; read "
                "the band table for the real shares."
            )
        )
    rates = [b["observed_rate"] for b in bands if b["observed_rate"] is not None]
    if any(later > earlier for earlier, later in zip(rates, rates[1:], strict=False)):
        out.append(
            _(
                "A lower band had a higher observed outcome rate than the band above it in the test period: "
                "the bands do not order youth reliably."
            )
        )
    months = len(((model.metrics or {}).get("split") or {}).get("test") or [])
    if months > 1:
        out.append(
            _(
                "Precision and recall at k are taken over all %(months)s test months together, so k counts "
                "youth-months, not youth in one month."
            )
            % {"months": months}
        )
    out.append(
        _(
            "Scores of different model versions are not comparable; compare bands and reasons, and retrain "
            "at least yearly and after waves of sealing notices."
        )
    )
    out.append(
        _(
            "Review overrides (triage decisions that go against the band) regularly: they show where the "
            "model and the people who know the youth disagree."
        )
    )
    return out


def _caveats(model: RiskModel) -> Section:
    return Section("caveats", _("Caveats and recommendations"), bullets=caveats(model))


def sections(model: RiskModel) -> list[Section]:
    """The nine sections of a model card, in Mitchell et al.'s order."""
    return [
        _model_details(model),
        _intended_use(model),
        _factors(model),
        _metrics_section(model),
        _evaluation_data(model),
        _training_data(model),
        _quantitative(model),
        _ethics(model),
        _caveats(model),
    ]


def title(model: RiskModel) -> str:
    return _("Model card: %(label)s") % {"label": model.label}


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render(model: RiskModel) -> str:
    """The model card as Markdown, in the active language."""
    lines = [f"# {title(model)}", ""]
    for section in sections(model):
        lines += [f"## {section.title}", ""]
        for paragraph in section.paragraphs:
            lines += [paragraph, ""]
        if section.bullets:
            lines += [f"- {bullet}" for bullet in section.bullets] + [""]
        for table in section.tables:
            lines += [f"**{table.caption}**", ""]
            lines.append("| " + " | ".join(_cell(h) for h in table.header) + " |")
            lines.append("|" + "---|" * len(table.header))
            lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
