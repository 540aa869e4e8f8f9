"""The annual work report (年度工作報告, issue 19 part 2): one supervised bureau's year (or any period) of work.

Seven sections, each a list of rows: youth referred and cases opened, exposure alerts decided within their
14-day duty; cases open at the end and closed by reason; referrals sent and received by bureau with their
answers; interventions by kind; alerts by rule with their deadlines; overrides of the model; the score models in
use. Every count of young people (or of records about them) is published through one :class:`Release` for the
whole report (keyed random rounding to base 5, ``docs/privacy.md``); the overrides section is the overrides
report's own publication (:func:`casework.reports.selectors.overrides`), so the two pages agree. Shares and
medians are shown only where their published base is at least ``RATE_MIN_BASE``.

:func:`annual_counts` gives the true counts with the ids of the records in each cell (for publishing and for
tests, never shown); :func:`annual_report` the published figures. Reads go through ``casework.access.policy``
and each selector refuses a bureau the user does not supervise (``PermissionDenied``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import statistics
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.access import policy
from casework.models import (
    ACTIVE_ALERT_STATUSES,
    AlertRule,
    Bureau,
    ClosureReason,
    ConcernType,
    InterventionKind,
    ReferralStatus,
    StatutoryDuty,
)
from casework.reports import annual_exposure, annual_followup, annual_models
from casework.reports import selectors as report_selectors
from casework.reports.selectors import Period, taipei_date
from casework.reports.suppression import RATE_MIN_BASE, Release, cell_key, published_rate, records_key

# How a referral's status reads in the report: a completed referral was accepted first.
REFERRAL_OUTCOMES = {
    ReferralStatus.ACCEPTED: "accepted",
    ReferralStatus.COMPLETED: "accepted",
    ReferralStatus.DECLINED: "declined",
    ReferralStatus.PENDING: "pending",
    ReferralStatus.REVOKED: "revoked",
}
OUTCOMES = ("accepted", "declined", "pending", "revoked")
EXPOSURE_COLUMNS = ("raised", "on_time", "late", "open")
ALERT_COLUMNS = ("raised", "on_time", "missed", "pending")


def last_full_year(today: dt.date | None = None) -> Period:
    """The last full calendar year before today (Taipei): the report's default period."""
    year = (today or report_selectors.taipei_today()).year - 1
    return Period(start=dt.date(year, 1, 1), end=dt.date(year, 12, 31))


def _ids(rows: Iterable[Mapping[str, Any]], **match) -> list[int]:
    return [r["id"] for r in rows if all(r[k] == v for k, v in match.items())]


def _cell(n_ids: Iterable[int], kind: str) -> dict[str, Any]:
    ids = sorted(set(n_ids))
    return {"n": len(ids), "ids": ids, "kind": kind}


# ---------------------------------------------------------------------------------------------------------
# True counts
# ---------------------------------------------------------------------------------------------------------


def annual_counts(user, *, bureau: Bureau, period: Period, now: dt.datetime | None = None) -> dict[str, Any]:
    """The true counts of the report, each cell ``{n, ids, kind}`` (the ids of the records it counts).

    Sections: ``referred_youth`` (distinct youth referred to the bureau in the period); ``opened`` (cases the
    bureau opened in the period, by concern); ``exposure`` (alerts under an exposure rule, the 14-day duty,
    raised for the bureau in the period: decided by their deadline, decided later, not decided yet);
    ``open_at_end`` (the bureau's cases opened before the period ended and not closed by then, by concern);
    ``closed`` (closed in the period, by reason); ``referrals`` (sent and received in the period, per other
    bureau, by outcome, with the days each answer took); ``interventions`` (logged in the period on the
    bureau's cases, by kind: interventions and youth reached); ``alerts`` (per rule, as
    ``report_selectors.alert_figures`` counts them: raised, decided by the deadline, missed, still within
    it).
    """
    report_selectors._supervised(user, bureau)
    now = now or timezone.now()
    start, end = period.bounds
    cases = policy.visible_cases(user).filter(lead_bureau=bureau).order_by()

    # 1. Referred youth, cases opened by concern.
    received = list(
        period.filter(policy.visible_referrals(user).filter(to_bureau=bureau))
        .values("id", "youth_id", "from_bureau_id", "status", "created_at", "responded_at")
        .order_by()
    )
    sent = list(
        period.filter(policy.visible_referrals(user).filter(from_bureau=bureau))
        .values("id", "youth_id", "to_bureau_id", "status", "created_at", "responded_at")
        .order_by()
    )
    opened = list(period.filter(cases, "opened_at").values("id", "concern"))
    concerns = [(c.value, str(c.label)) for c in ConcernType]

    # Exposure: alerts under a rule carrying the 14-day duty.
    exposure_keys = set(
        AlertRule.objects.filter(statutory_duty=StatutoryDuty.EXPOSURE_14D).values_list("key", flat=True)
    )
    alerts = list(
        period.filter(policy.visible_alerts(user).filter(routed_to=bureau))
        .values("id", *report_selectors.ALERT_FIELDS)
        .order_by()
    )
    exposure = [a for a in alerts if a["reason"] in exposure_keys]

    # 2. Open at the end, closed by reason.
    open_at_end = list(cases.filter(opened_at__lt=end).exclude(closed_at__lt=end).values("id", "concern"))
    closed = list(cases.filter(closed_at__gte=start, closed_at__lt=end).values("id", "closure_reason"))
    reasons = [(r.value, str(r.label)) for r in ClosureReason] + [("", _("No reason recorded"))]

    # 3. Referrals between bureaus.
    others = {b.pk: b for b in Bureau.objects.exclude(pk=bureau.pk).order_by("code")}

    def referral_rows(rows: list[dict[str, Any]], other_field: str) -> list[dict[str, Any]]:
        out = []
        for pk, other in others.items():
            mine = [r for r in rows if r[other_field] == pk]
            out.append(_referral_row(pk, other.display_name, mine))
        return out

    # 4. Interventions by kind.
    interventions = list(
        policy.visible_interventions(user)
        .filter(case__lead_bureau=bureau, occurred_on__gte=period.start, occurred_on__lte=period.end)
        .values("id", "kind", "case__youth_id")
        .order_by()
    )

    # 5. Alerts by rule (the alerts report's rows and figures).
    sla = report_selectors.alert_sla(user, bureau=bureau, period=period, now=now)
    rules = []
    for rule in sla["rules"]:
        mine = [a for a in alerts if a["reason"] == rule["key"]]
        rules.append({"key": rule["key"], "label": rule["name"], **_alert_cells(mine, now=now)})

    outcomes = annual_exposure.exposure_outcomes(user, exposure, now=now)
    followup = annual_followup.followup_counts(
        user, bureau=bureau, period=period, today=report_selectors.taipei_date(now)
    )
    followup_columns = [
        c for c in annual_followup.FOLLOWUP_COLUMNS if c != "police_contact" or followup["police_readable"]
    ]

    return {
        "referred_youth": {"key": "youth", "cells": {"n": _cell({r["youth_id"] for r in received}, "youth")}},
        "opened": _breakdown(opened, "concern", concerns, "case"),
        "exposure": {"key": "exposure", "label": _("Exposure alerts"), **_exposure_cells(exposure)},
        "exposure_outcomes": {
            "rows": [
                {"key": key, "label": label, "cells": {"n": _cell(outcomes[key], "alert")}}
                for key, label in annual_exposure.exposure_row_labels()
            ]
        },
        "open_at_end": _breakdown(open_at_end, "concern", concerns, "case"),
        "closed": _breakdown(closed, "closure_reason", reasons, "case"),
        "followup": {
            "police_readable": followup["police_readable"],
            "rows": [
                {
                    "key": window["key"],
                    "label": window["label"],
                    "months": window["months"],
                    "cells": {c: _cell(window["ids"][c], "case") for c in followup_columns},
                }
                for window in followup["windows"]
            ],
        },
        "referrals_sent": {
            "rows": referral_rows(sent, "to_bureau_id"),
            "total": _referral_row("total", _("All bureaus"), sent),
        },
        "referrals_received": {
            "rows": referral_rows(received, "from_bureau_id"),
            "total": _referral_row("total", _("All bureaus"), received),
        },
        "interventions": _intervention_breakdown(interventions),
        "alerts": {
            "rows": rules,
            "total": {"key": "total", "label": _("All rules"), **_alert_cells(alerts, now=now)},
        },
    }


def _breakdown(
    rows: list[dict[str, Any]], field: str, labels: list[tuple[Any, str]], kind: str
) -> dict[str, Any]:
    """One count per labelled value (every value, so a row's presence says nothing), and the total."""
    return {
        "rows": [
            {"key": value, "label": label, "cells": {"n": _cell(_ids(rows, **{field: value}), kind)}}
            for value, label in labels
        ],
        "total": {"key": "total", "label": _("All"), "cells": {"n": _cell(_ids(rows), kind)}},
    }


def _referral_row(key: Any, label: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    cells = {"n": _cell(_ids(rows), "referral")}
    for outcome in OUTCOMES:
        cells[outcome] = _cell(
            [r["id"] for r in rows if REFERRAL_OUTCOMES.get(r["status"]) == outcome], "referral"
        )
    days = [
        (taipei_date(r["responded_at"]) - taipei_date(r["created_at"])).days
        for r in rows
        if r["responded_at"] is not None
    ]
    answered = _cell([r["id"] for r in rows if r["responded_at"] is not None], "referral")
    return {
        "key": key,
        "label": label,
        "cells": cells,
        "answered": answered,
        "median_days": statistics.median(days) if days else None,
    }


def _exposure_cells(alerts: list[dict[str, Any]]) -> dict[str, Any]:
    on_time = [a["id"] for a in alerts if a["resolved_at"] is not None and a["resolved_at"] <= a["due_at"]]
    late = [a["id"] for a in alerts if a["resolved_at"] is not None and a["resolved_at"] > a["due_at"]]
    still = [a["id"] for a in alerts if a["resolved_at"] is None]
    return {
        "cells": {
            "raised": _cell(_ids(alerts), "alert"),
            "on_time": _cell(on_time, "alert"),
            "late": _cell(late, "alert"),
            "open": _cell(still, "alert"),
        }
    }


def _alert_cells(alerts: list[dict[str, Any]], *, now: dt.datetime) -> dict[str, Any]:
    """The alerts report's figures (``report_selectors.alert_figures``): raised, decided by the deadline,
    missed (decided late, or still open past the deadline) and still within it, each with the ids of its
    alerts (the key its rounding is drawn from)."""
    figures = report_selectors.alert_figures(alerts, now=now)
    on_time = {a["id"] for a in alerts if a["resolved_at"] is not None and a["resolved_at"] <= a["due_at"]}
    missed = {
        a["id"]
        for a in alerts
        if (a["resolved_at"] is not None and a["resolved_at"] > a["due_at"])
        or (a["resolved_at"] is None and a["status"] in ACTIVE_ALERT_STATUSES and a["due_at"] < now)
    }
    pending = {a["id"] for a in alerts} - on_time - missed
    numbers = {
        "raised": figures["raised"],
        "on_time": figures["on_time"],
        "missed": figures["settled"] - figures["on_time"],
        "pending": figures["raised"] - figures["settled"],
    }
    ids = {"raised": [a["id"] for a in alerts], "on_time": on_time, "missed": missed, "pending": pending}
    return {"cells": {c: {**_cell(ids[c], "alert"), "n": numbers[c]} for c in ALERT_COLUMNS}}


def _intervention_breakdown(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def cells(mine: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "n": _cell([r["id"] for r in mine], "intervention"),
            "youth": _cell({r["case__youth_id"] for r in mine}, "youth"),
        }

    return {
        "rows": [
            {"key": k.value, "label": str(k.label), "cells": cells([r for r in rows if r["kind"] == k.value])}
            for k in InterventionKind
        ],
        "total": {"key": "total", "label": _("All kinds"), "cells": cells(rows)},
    }


# ---------------------------------------------------------------------------------------------------------
# Publishing
# ---------------------------------------------------------------------------------------------------------

# The sections whose rows add up to their total, per column.
TABLES = {
    "opened": ("n",),
    "open_at_end": ("n",),
    "closed": ("n",),
    "referrals_sent": ("n", *OUTCOMES),
    "referrals_received": ("n", *OUTCOMES),
    "interventions": ("n",),
    "alerts": ALERT_COLUMNS,
}


def _all_cells(counts: Mapping[str, Any]):
    """Every (name, cell) of the report, the name ``(section, row key, column)``."""
    yield ("referred_youth", "youth", "n"), counts["referred_youth"]["cells"]["n"]
    for column, cell in counts["exposure"]["cells"].items():
        yield ("exposure", "exposure", column), cell
    for row in counts["exposure_outcomes"]["rows"]:
        yield ("exposure_outcomes", row["key"], "n"), row["cells"]["n"]
    for row in counts["followup"]["rows"]:
        for column, cell in row["cells"].items():
            yield ("followup", row["key"], column), cell
    for section in TABLES:
        for row in [*counts[section]["rows"], counts[section]["total"]]:
            for column, cell in row["cells"].items():
                yield (section, row["key"], column), cell
            if "answered" in row:
                yield (section, row["key"], "answered"), row["answered"]


def publish_annual(counts: Mapping[str, Any]) -> dict[Hashable, int | None]:
    """Every count of :func:`annual_counts` rounded to a multiple of 5 in one :class:`Release`, keyed by
    the records of the cell and of the whole report, with the ties a reader knows declared (rows add up to
    their total, outcomes to the referrals, youth reached are at most the interventions)."""
    cells = list(_all_cells(counts))
    digest = hashlib.sha256()
    for name, cell in cells:
        digest.update(f"{name}:{records_key(cell['kind'], cell['ids'])};".encode())
    publication = f"annual:{digest.hexdigest()}"
    release = Release()
    for name, cell in cells:
        key = f"{cell_key(cell['kind'], cell['ids'], publication)}#{name[2]}"
        required = name[1] in ("total", "youth", "exposure") or name[0] == "followup" and name[2] == "closed"
        release.count(name, cell["n"], key, required=required)
    for section, columns in TABLES.items():
        keys = [row["key"] for row in counts[section]["rows"]]
        for column in columns:
            release.adds_up([(section, "total", column)], [(section, k, column) for k in keys])
        for key in [*keys, "total"]:
            if section.startswith("referrals"):
                release.adds_up([(section, key, "n")], [(section, key, o) for o in OUTCOMES])
                release.at_most((section, key, "answered"), (section, key, "n"))
            if section == "interventions":
                release.at_most((section, key, "youth"), (section, key, "n"))
            if section == "alerts":
                release.adds_up([(section, key, "raised")], [(section, key, c) for c in ALERT_COLUMNS[1:]])
    release.adds_up(
        [("exposure", "exposure", "raised")], [("exposure", "exposure", c) for c in EXPOSURE_COLUMNS[1:]]
    )
    release.at_most(("referred_youth", "youth", "n"), ("referrals_received", "total", "n"))
    # Each exposure alert raised is in exactly one row of what became of it.
    release.adds_up(
        [("exposure", "exposure", "raised")],
        [("exposure_outcomes", row["key"], "n") for row in counts["exposure_outcomes"]["rows"]],
    )
    for row in counts["followup"]["rows"]:
        name = ("followup", row["key"])
        release.adds_up([(*name, "closed")], [(*name, "any"), (*name, "none")])
        for column in row["cells"]:
            if column not in ("closed", "any", "none"):
                release.at_most((*name, column), (*name, "any"))
    return release.publish()


def _published_rows(counts, shown, section) -> list[dict[str, Any]]:
    out = []
    for row in [*counts[section]["rows"], counts[section]["total"]]:
        values = {column: shown[(section, row["key"], column)] for column in row["cells"]}
        item = {"key": row["key"], "label": str(row["label"]), "total": row["key"] == "total", **values}
        if "answered" in row:
            answered = shown[(section, row["key"], "answered")]
            item["median_days"] = (
                row["median_days"] if answered is not None and answered >= RATE_MIN_BASE else None
            )
        out.append(item)
    return out


def annual_report(user, *, bureau: Bureau, period: Period, now: dt.datetime | None = None) -> dict[str, Any]:
    """The report as published: every count rounded to a multiple of 5 (``None``: withheld), shares from the
    published counts (:func:`published_rate`), medians only on a published base of ``RATE_MIN_BASE``."""
    counts = annual_counts(user, bureau=bureau, period=period, now=now)
    shown = publish_annual(counts)
    exposure = {c: shown[("exposure", "exposure", c)] for c in EXPOSURE_COLUMNS}
    exposure["on_time_share"] = published_rate(
        exposure["on_time"],
        None
        if exposure["on_time"] is None or exposure["late"] is None
        else exposure["on_time"] + exposure["late"],
    )
    alerts = _published_rows(counts, shown, "alerts")
    for row in alerts:
        settled = None if row["on_time"] is None or row["missed"] is None else row["on_time"] + row["missed"]
        row["on_time_share"] = published_rate(row["on_time"], settled)
    overrides = report_selectors.overrides(user, bureau=bureau, period=period)
    exposure_outcomes = [
        {
            "key": row["key"],
            "label": str(row["label"]),
            "total": False,
            "n": shown[("exposure_outcomes", row["key"], "n")],
        }
        for row in counts["exposure_outcomes"]["rows"]
    ]
    exposure_outcomes.append(
        {"key": "total", "label": _("Exposure alerts raised"), "total": True, "n": exposure["raised"]}
    )
    followup = []
    for row in counts["followup"]["rows"]:
        item = {"key": row["key"], "label": str(row["label"]), "months": row["months"]}
        for column in annual_followup.FOLLOWUP_COLUMNS:
            item[column] = shown.get(("followup", row["key"], column))
        for column in annual_followup.FOLLOWUP_COLUMNS[1:]:
            item[f"{column}_share"] = published_rate(item[column], item["closed"])
        followup.append(item)
    return {
        "bureau_id": bureau.pk,
        "period": period,
        "referred_youth": shown[("referred_youth", "youth", "n")],
        "opened": _published_rows(counts, shown, "opened"),
        "exposure": exposure,
        "open_at_end": _published_rows(counts, shown, "open_at_end"),
        "closed": _published_rows(counts, shown, "closed"),
        "exposure_outcomes": exposure_outcomes,
        "followup": followup,
        "police_readable": counts["followup"]["police_readable"],
        "referrals_sent": _published_rows(counts, shown, "referrals_sent"),
        "referrals_received": _published_rows(counts, shown, "referrals_received"),
        "interventions": _published_rows(counts, shown, "interventions"),
        "alerts": alerts,
        "overrides": {
            "total": overrides["total"],
            "by_reason": overrides["by_reason"],
        },
        "models": models_in_use(user, period=period),
    }


def models_in_use(user, *, period: Period) -> list[dict[str, Any]]:
    """The score models whose scores (``RiskScore``, as of a day in the period, of the youth the user may
    see) were in use in the period: each version with the months (``YYYY-MM``) it scored in, newest first.
    No count: which models ran is not a figure about young people."""
    months: dict[str, set[str]] = defaultdict(set)
    rows = (
        policy.visible_scores(user)
        .filter(as_of__gte=period.start, as_of__lte=period.end)
        .annotate(month=TruncMonth("as_of"))
        .values_list("model_version", "month")
        .order_by()
        .distinct()
    )
    for version, month in rows:
        months[version].add(f"{month:%Y-%m}")
    gates = annual_models.gate_figures(months)
    return [
        {
            "version": v,
            "months": sorted(m),
            "first": min(m),
            "last": max(m),
            # None: no gate figures available here (no reader registered, or a label the registry does not know).
            "gate": None if gates is None else gates.get(v),
        }
        for v, m in sorted(months.items(), key=lambda item: max(item[1]), reverse=True)
    ]
