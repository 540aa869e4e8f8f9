"""The retention report: the schedule, what expires in the next twelve months, and the last purge runs.
For data stewards (who run the purge) and auditors (who check it)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from dateutil.relativedelta import relativedelta
from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.access import policy
from casework.access.audit import Actor, record_list
from casework.access.pages import require
from integrations.models import PurgeRun, RecordType, RetentionAnchor
from integrations.retention import services as retention_services

NEXT_DUE = 100
HOLD_LABELS = {
    retention_services.HoldReason.OPEN_CASE: _("An open case"),
    retention_services.HoldReason.ACTIVE_REFERRAL: _("A pending or accepted referral"),
    retention_services.HoldReason.ACTIVE_ALERT: _("An active alert"),
    retention_services.HoldReason.OPEN_CONTEST: _("A contest waiting for a decision"),
}
MONTHS = 12


def _label(key: str) -> str:
    try:
        return str(apps.get_model(key)._meta.verbose_name_plural)
    except (LookupError, ValueError):
        return key


def _shown(user, due: list) -> list:
    """The next records due as ``user`` may read them. A record whose clock runs from the youth's 18th
    birthday expires on a day that gives their birth date away; only those who may read identities (data
    stewards, who run the purge) see which youth it is. Auditors, who check the schedule, see its type and day."""
    if policy.can_use_identity_register(user):
        return due
    return [
        replace(d, youth_public_id="", label="")
        if d.rule.anchor == RetentionAnchor.EIGHTEENTH_BIRTHDAY
        else d
        for d in due
    ]


@login_required
def retention_report(request):
    require(policy.can_read_retention_report(request.user))
    today = timezone.localdate()
    first = today.replace(day=1)
    months = [first + relativedelta(months=i) for i in range(MONTHS)]
    until = months[-1] + relativedelta(months=1, days=-1)
    rule_map = retention_services.rules()
    due, held = retention_services.due_records(until=until, rule_map=rule_map)
    per_month: dict = {m: Counter() for m in months}
    overdue: Counter = Counter()
    for item in due:
        if item.expires_on <= today:
            overdue[item.record_type] += 1
        else:
            per_month[item.expires_on.replace(day=1)][item.record_type] += 1
    types = [t for t in RecordType if t != RecordType.SEALED_SHELL]
    table = [{"month": m, "cells": [per_month[m][t] for t in types]} for m in months]
    runs = [
        {"run": run, "counts": sorted((_label(k), n) for k, n in run.counts.items())}
        for run in PurgeRun.objects.all()[:10]
    ]
    record_list(Actor.from_request(request), "retention", count=len(due))
    return render(
        request,
        "integrations/retention/retention_report.html",
        {
            "rules": sorted(rule_map.values(), key=lambda r: r.record_type),
            "types": types,
            "table": table,
            "overdue": [overdue[t] for t in types],
            "next_due": _shown(request.user, due[:NEXT_DUE]),
            "held": [(HOLD_LABELS.get(k, k), n) for k, n in sorted(held.items())],
            "residue": retention_services.sealed_residue(),
            "runs": runs,
            "today": today,
        },
    )
