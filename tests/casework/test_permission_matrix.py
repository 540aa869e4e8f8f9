"""Every role against every page and API endpoint, with the allowed and the refused side.

A row names an endpoint, the object it is tried on, and the status each role gets. Roles not listed in a
row get the row's ``refused`` status. ``test_matrix_covers_every_endpoint`` fails when an endpoint exists
that this matrix does not try, so no new endpoint can ship without its access rule being written down.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from casework.cases import services as case_services
from casework.models import CaseGoal, InterventionKind, PlannedService, TriageDecisionKind
from casework.triage import services as triage_services
from riskmodel.models import PromotionOverride
from tests.fixtures import PASSWORD, actor
from tests.linkage_fixtures import build_linkage
from tests.riskmodel.test_registry_pages import build_risk_model

CASEWORKERS = {"officer", "guidance", "social", "counsellor", "supervisor", "police_supervisor"}
NON_CASEWORKERS = {"steward", "modeller", "auditor", "admin", "secretariat"}
SIGNED_IN = CASEWORKERS | NON_CASEWORKERS
MODEL_READERS = {"modeller", "supervisor", "police_supervisor"}
TRIAGERS = CASEWORKERS - {"counsellor"}
DECIDERS = {"officer", "police_supervisor"}
RULE_READERS = CASEWORKERS | {"admin", "auditor"}
# Liaison meetings (rule 21): the committee's supervisor and secretariat run them; the police are invited (the
# officer by name, the police supervisor as supervisor of an invited bureau); the others are not.
RUNNERS = {"supervisor", "secretariat"}
MEETING_USERS = RUNNERS | TRIAGERS
PARTICIPANTS = {"officer", "police_supervisor"}
NOT_INVITED = {"guidance", "guidance2", "social"}


def rule_form(w, **extra):
    return {
        "name_zh": "測試", "name_en": "Test", "duty_zh": "測試", "duty_en": "Test duty", "enabled": "on",
        "trigger": "event", "event_kind": "police_exposure", "route_to": ["committee"], "deadline_value": "10",
        "deadline_unit": "days", "lookback_days": "30", "concern": "exposure", "change_note": "Matrix", **extra,
    }  # fmt: skip


ROLES = ["anonymous", *sorted(SIGNED_IN)]


@dataclass
class Row:
    name: str  # URL name
    method: str
    expect: dict[str, int]  # role -> status for the allowed side and for notable refusals
    refused: int  # status for every role not in ``expect`` (signed in)
    anonymous: int  # status for a request without a session
    args: callable = None  # world -> reverse() args
    data: callable = None  # world -> request body
    label: str = ""
    tags: set = field(default_factory=set)

    @property
    def id(self) -> str:
        return self.label or f"{self.method} {self.name}"


def ok(roles, status=200):
    return dict.fromkeys(roles, status)


def page(name, allowed, refused=403, args=None, anonymous=302, **kw):
    return Row(name, "get", ok(allowed), refused, anonymous, args=args, **kw)


def api(
    name,
    allowed,
    refused=403,
    args=None,
    method="get",
    status=200,
    anonymous=403,
    data=None,
    extra=None,
    **kw,
):
    expect = ok(allowed, status)
    expect.update(extra or {})
    return Row(name, method, expect, refused, anonymous, args=args, data=data, **kw)


def plan_goal(w):
    return CaseGoal.objects.get_or_create(
        case=w.case, text="Matrix goal", defaults={"created_by": w.u.guidance}
    )[0]


def plan_service(w):
    return PlannedService.objects.get_or_create(
        case=w.case,
        description="Matrix step",
        defaults={"owner_bureau": w.b.committee, "due_on": w.today, "created_by": w.u.guidance},
    )[0]


def case_args(w):
    return [w.case.pk]


def youth_case_args(w):
    return [w.y.case.public_id]


def model_args(w):
    return [w.risk_model.version]


def not_visible(roles, status=404):
    """Case workers with no reason on record: the object answers as if it did not exist."""
    return ok(roles, status)


MATRIX: list[Row] = [
    # --- pages -----------------------------------------------------------------------------------------
    page("home", SIGNED_IN),
    page("youth-list", CASEWORKERS),
    # A national ID is searched by POST (never in a URL): the same page, for the same roles.
    Row(
        "youth-list",
        "post",
        ok(CASEWORKERS),
        403,
        302,
        data=lambda w: {"national_id": "H123456789"},
        label="post youth-list (national ID search)",
    ),
    Row(
        "youth-detail",
        "get",
        {**ok({"guidance", "supervisor"}), **not_visible(CASEWORKERS - {"guidance", "supervisor"})},
        403,
        302,
        args=youth_case_args,
    ),
    page("case-list", CASEWORKERS),
    Row(
        "case-detail",
        "get",
        {**ok({"guidance", "supervisor"}), **not_visible(CASEWORKERS - {"guidance", "supervisor"})},
        403,
        302,
        args=case_args,
    ),
    page("alert-list", CASEWORKERS),
    page("referral-list", CASEWORKERS),
    page("audit-log", {"auditor"}),
    page("identity-register", {"steward"}),
    Row(
        "identity-register",
        "post",
        ok({"steward"}),
        403,
        302,
        data=lambda w: {"national_id": "H123456789"},
        label="post identity-register (national ID search)",
    ),
    page("statistics", {"modeller", "supervisor", "police_supervisor"}),
    # The admin site sends everyone without the administrator role to its own login page.
    page("admin:index", {"admin"}, refused=302),
    # Public by design: signing in and out, and choosing a language.
    page("login", SIGNED_IN, anonymous=200, tags={"public"}),
    Row("logout", "post", ok(SIGNED_IN, 302), 302, 302, tags={"public"}),
    Row(
        "set_language",
        "post",
        ok(SIGNED_IN, 302),
        302,
        302,
        data=lambda w: {"language": "en", "next": "/"},
        tags={"public"},
    ),
    page("api-schema", SIGNED_IN, anonymous=403),
    page("api-docs", SIGNED_IN, anonymous=403),
    # --- API: directory and self ------------------------------------------------------------------------
    api("api:api-root", SIGNED_IN),
    api("api:me", SIGNED_IN),
    api("api:bureau-list", SIGNED_IN),
    api("api:bureau-detail", SIGNED_IN, args=lambda w: ["police"]),
    api("api:school-list", SIGNED_IN),
    api("api:school-detail", SIGNED_IN, args=lambda w: ["J01"]),
    # --- API: youth and events ----------------------------------------------------------------------------
    api("api:youth-list", CASEWORKERS),
    api(
        "api:youth-detail",
        {"guidance", "supervisor"},
        args=youth_case_args,
        extra=not_visible(CASEWORKERS - {"guidance", "supervisor"}),
    ),
    api(
        "api:youth-timeline",
        {"guidance", "supervisor"},
        args=youth_case_args,
        extra=not_visible(CASEWORKERS - {"guidance", "supervisor"}),
    ),
    api(
        "api:youth-search",
        CASEWORKERS,
        method="post",
        data=lambda w: {"national_id": "H123456789"},
    ),
    api("api:identity-list", {"steward"}),
    api(
        "api:identity-search",
        {"steward"},
        method="post",
        data=lambda w: {"national_id": "H123456789"},
    ),
    api("api:identity-detail", {"steward"}, args=youth_case_args),
    api("api:event-list", CASEWORKERS),
    api(
        "api:event-detail",
        {"guidance", "supervisor"},
        args=lambda w: [w.y.case.events.get(kind="police_offence").pk],
        extra=not_visible(CASEWORKERS - {"guidance", "supervisor"}),
    ),
    # --- API: cases and interventions --------------------------------------------------------------------
    api("api:case-list", CASEWORKERS),
    api(
        "api:case-detail",
        {"guidance", "supervisor"},
        args=case_args,
        extra=not_visible(CASEWORKERS - {"guidance", "supervisor"}),
    ),
    api(
        "api:case-list",
        {"officer", "police_supervisor"},
        method="post",
        status=201,
        # Others cannot name a youth they may not see: the same 400 as for a youth that does not exist.
        extra=not_visible(CASEWORKERS - {"officer", "police_supervisor"}, 400),
        data=lambda w: {"youth": w.y.alert.public_id, "lead_bureau": "police", "concern": "deviant"},
        label="post api:case-list (open a case)",
    ),
    api(
        "api:case-detail",
        {"guidance", "supervisor"},
        method="patch",
        args=case_args,
        extra=not_visible(CASEWORKERS - {"guidance", "supervisor"}),
        data=lambda w: {"expected_version": 1, "summary": "Updated plan"},
    ),
    api("api:intervention-list", CASEWORKERS),
    api(
        "api:intervention-detail",
        {"guidance", "supervisor"},
        args=lambda w: [w.intervention.pk],
        extra=not_visible(CASEWORKERS - {"guidance", "supervisor"}),
        tags={"intervention"},
    ),
    api(
        "api:intervention-list",
        {"guidance", "supervisor"},
        method="post",
        status=201,
        extra=not_visible(CASEWORKERS - {"guidance", "supervisor"}, 400),
        data=lambda w: {"case": w.case.pk, "kind": "home_visit", "occurred_on": str(w.today)},
        label="post api:intervention-list (log an intervention)",
    ),
    # --- API: alerts -------------------------------------------------------------------------------------
    api("api:alert-list", CASEWORKERS),
    api(
        "api:alert-detail",
        {"officer", "police_supervisor"},
        args=lambda w: [w.alert.pk],
        extra=not_visible(CASEWORKERS - {"officer", "police_supervisor"}),
    ),
    api(
        "api:alert-acknowledge",
        {"officer", "police_supervisor"},
        method="post",
        args=lambda w: [w.alert.pk],
        extra=not_visible(CASEWORKERS - {"officer", "police_supervisor"}),
    ),
    # --- API: referrals ----------------------------------------------------------------------------------
    api("api:referral-list", CASEWORKERS),
    api(
        "api:referral-detail",
        {"guidance", "supervisor", "social"},
        args=lambda w: [w.referral.pk],
        extra=not_visible({"officer", "counsellor", "police_supervisor"}),
    ),
    api(
        "api:referral-list",
        {"guidance", "supervisor"},
        method="post",
        status=201,
        extra=not_visible(CASEWORKERS - {"guidance", "supervisor"}, 400),
        data=lambda w: {
            "youth": w.y.case.public_id,
            "from_bureau": "committee",
            "to_bureau": "welfare",
            "reason": "Family support",
            "consent": "obtained",
        },
        label="post api:referral-list (refer)",
    ),
    api(
        "api:referral-accept",
        {"social"},
        method="post",
        args=lambda w: [w.referral.pk],
        # The sender sees the referral but may not answer it for the receiver.
        extra={
            **not_visible({"officer", "counsellor", "police_supervisor"}),
            "guidance": 403,
            "supervisor": 403,
        },
    ),
    api(
        "api:referral-decline",
        {"social"},
        method="post",
        args=lambda w: [w.referral.pk],
        data=lambda w: {"note": "Already known to another service"},
        extra={
            **not_visible({"officer", "counsellor", "police_supervisor"}),
            "guidance": 403,
            "supervisor": 403,
        },
    ),
    # --- API: triage decisions ---------------------------------------------------------------------------
    api("api:triagedecision-list", CASEWORKERS),
    api(
        "api:triagedecision-detail",
        {"officer", "police_supervisor"},
        args=lambda w: [w.decision.pk],
        extra=not_visible(CASEWORKERS - {"officer", "police_supervisor"}),
        tags={"decision"},
    ),
    api(
        "api:triagedecision-list",
        {"officer", "police_supervisor"},
        method="post",
        status=201,
        extra=not_visible(CASEWORKERS - {"officer", "police_supervisor"}, 400),
        data=lambda w: {
            "youth": w.y.alert.public_id,
            "bureau": "police",
            "decision": "monitor",
            "reason_code": "needs_support",
        },
        label="post api:triagedecision-list (decide)",
    ),
    # --- API: workflow actions ---------------------------------------------------------------------------
    api(
        "api:alert-decide",
        {"officer", "police_supervisor"},
        method="post",
        status=201,
        args=lambda w: [w.alert.pk],
        data=lambda w: {"decision": "monitor", "reason_code": "recent_change"},
        extra=not_visible(CASEWORKERS - {"officer", "police_supervisor"}),
    ),
    api(
        "api:case-move",
        {"guidance", "supervisor"},
        method="post",
        args=case_args,
        data=lambda w: {"move": "start_assessment", "expected_version": 1},
        extra=not_visible(CASEWORKERS - {"guidance", "supervisor"}),
    ),
    api(
        "api:referral-complete",
        {"social"},
        method="post",
        args=lambda w: [w.accepted_referral.pk],
        data=lambda w: {"note": "done"},
        # The sending bureau's supervisor sees it but may not report the receiver's work done; guidance cannot
        # see this youth at all.
        extra={**not_visible({"officer", "counsellor", "police_supervisor", "guidance"}), "supervisor": 403},
    ),
    api(
        "api:referral-revoke",
        {"guidance", "supervisor"},
        method="post",
        args=lambda w: [w.referral.pk],
        data=lambda w: {"note": "Sent in error"},
        extra={**not_visible({"officer", "counsellor", "police_supervisor"}), "social": 403},
    ),
    api("api:alertrule-list", SIGNED_IN),
    api(
        "api:alertrule-detail",
        SIGNED_IN,
        args=lambda w: [w.rule.pk],
        extra=not_visible({"steward", "modeller", "secretariat"}),
    ),
    api("api:notification-list", SIGNED_IN),
    api(
        "api:notification-read",
        {"police_supervisor"},
        method="post",
        args=lambda w: [w.notification.pk],
        extra=not_visible(SIGNED_IN - {"police_supervisor"}),
        tags={"notification"},
    ),
    # --- supervisor reports (supervisors, for the bureaus they supervise) --------------------------------
    page("riskmodel:active-report", MODEL_READERS),
    page("reports", {"supervisor", "police_supervisor"}),
    page("reports-caseload", {"supervisor", "police_supervisor"}),
    page("reports-alerts", {"supervisor", "police_supervisor"}),
    page("reports-overrides", {"supervisor", "police_supervisor"}),
    page("reports-annual", {"supervisor", "police_supervisor"}),
    # --- case, referral and task pages (casework/cases/views.py) -------------------------------------------
    page("my-tasks", CASEWORKERS),
    Row(
        "case-move",
        "post",
        {**ok({"guidance", "supervisor"}, 302), **not_visible(CASEWORKERS - {"guidance", "supervisor"})},
        403,
        302,
        args=lambda w: [w.case.pk, "start_assessment"],
        data=lambda w: {"version": 1},
        label="post case-move (start assessment)",
        tags={"redirects"},
    ),
    Row(
        "case-edit",
        "post",
        {**ok({"guidance", "supervisor"}, 302), **not_visible(CASEWORKERS - {"guidance", "supervisor"})},
        403,
        302,
        args=case_args,
        data=lambda w: {"version": 1, "summary": "Updated plan", "assignee": w.u.guidance.pk},
        tags={"redirects"},
    ),
    # The case plan (issue 17): edited by whom may edit the case, as the case itself.
    *[
        Row(
            name,
            "post",
            {**ok({"guidance", "supervisor"}, 302), **not_visible(CASEWORKERS - {"guidance", "supervisor"})},
            403,
            302,
            args=case_args,
            data=data,
            tags={"redirects"},
        )
        for name, data in (
            ("case-plan-need", lambda w: {"area": "family", "finding": "Matrix"}),
            ("case-plan-goal-add", lambda w: {"text": "Matrix goal"}),
            (
                "case-plan-service-add",
                lambda w: {
                    "description": "Matrix step",
                    "owner_bureau": w.b.committee.pk,
                    "due_on": str(w.today),
                },
            ),
            ("case-plan-review", lambda w: {"reviewed_on": str(w.today)}),
        )
    ],
    Row(
        "case-plan-goal-edit",
        "post",
        {**ok({"guidance", "supervisor"}, 302), **not_visible(CASEWORKERS - {"guidance", "supervisor"})},
        403,
        302,
        args=lambda w: [w.case.pk, plan_goal(w).pk],
        data=lambda w: {"text": "Matrix goal, rewritten"},
        tags={"redirects"},
    ),
    Row(
        "case-plan-service-edit",
        "post",
        {**ok({"guidance", "supervisor"}, 302), **not_visible(CASEWORKERS - {"guidance", "supervisor"})},
        403,
        302,
        args=lambda w: [w.case.pk, plan_service(w).pk],
        data=lambda w: {
            "description": "Matrix step",
            "owner_bureau": w.b.committee.pk,
            "due_on": str(w.today),
            "status": "done",
        },
        tags={"redirects"},
    ),  # fmt: skip
    Row(
        "case-log-intervention",
        "post",
        {**ok({"guidance", "supervisor"}, 302), **not_visible(CASEWORKERS - {"guidance", "supervisor"})},
        403,
        302,
        args=case_args,
        data=lambda w: {"kind": "home_visit", "occurred_on": str(w.today)},
        tags={"redirects"},
    ),
    Row(
        "case-refer",
        "post",
        {**ok({"guidance", "supervisor"}, 302), **not_visible(CASEWORKERS - {"guidance", "supervisor"})},
        403,
        302,
        args=case_args,
        data=lambda w: {
            "from_bureau": w.b.committee.pk,
            "kind": "referral",
            "to_bureau": w.b.welfare.pk,
            "reason": "Family support",
            "consent": "obtained",
        },
        tags={"redirects"},
    ),
    Row(
        "referral-respond",
        "post",
        {
            **ok({"social"}, 302),
            **not_visible({"officer", "counsellor", "police_supervisor"}),
            "guidance": 403,
            "supervisor": 403,
        },
        403,
        302,
        args=lambda w: [w.referral.pk],
        data=lambda w: {"decision": "accept"},
        tags={"redirects"},
    ),
    Row(
        "referral-complete",
        "post",
        # The receiver completes an accepted referral; the sender's side is refused.
        {
            **ok({"social"}, 302),
            **not_visible({"officer", "counsellor", "police_supervisor"}),
            "guidance": 404,
            "supervisor": 403,
        },
        403,
        302,
        args=lambda w: [w.accepted_referral.pk],
        data=lambda w: {"note": "Done"},
        tags={"redirects"},
    ),
    Row(
        "referral-revoke",
        "post",
        {
            **ok({"guidance", "supervisor"}, 302),
            **not_visible({"officer", "counsellor", "police_supervisor"}),
            "social": 403,
        },
        403,
        302,
        args=lambda w: [w.referral.pk],
        data=lambda w: {"note": "Sent in error"},
        tags={"redirects"},
    ),
    # --- triage, inbox and alert rules (casework/triage/views.py, casework/cases/inbox.py) -----------------------------------------
    page("triage-queue", TRIAGERS),
    Row(
        "triage-decide",
        "get",
        {**ok(DECIDERS), **not_visible(TRIAGERS - DECIDERS)},
        403,
        302,
        args=lambda w: [w.alert.pk],
    ),
    Row(
        "triage-decide",
        "post",
        {**ok(DECIDERS, 302), **not_visible(TRIAGERS - DECIDERS)},
        403,
        302,
        args=lambda w: [w.alert.pk],
        data=lambda w: {"decision": "monitor", "reason_code": "needs_support"},
        label="post triage-decide (decide)",
        tags={"redirects"},
    ),
    Row(
        "triage-acknowledge",
        "post",
        {**ok(DECIDERS, 302), **not_visible(TRIAGERS - DECIDERS)},
        403,
        302,
        args=lambda w: [w.alert.pk],
        tags={"redirects"},
    ),
    page("inbox", SIGNED_IN),
    Row(
        "inbox-mark-read",
        "post",
        ok({"police_supervisor"}, 302),
        404,
        302,
        args=lambda w: [w.notification.pk],
        tags={"own"},
    ),
    # Everyone may empty their own inbox; only the anonymous are sent away.
    Row("inbox-mark-all-read", "post", ok(SIGNED_IN, 302), 302, 302, tags={"own"}),
    page("alert-rule-list", RULE_READERS),
    page("alert-rule-detail", RULE_READERS, args=lambda w: [w.rule.key]),
    page("alert-rule-edit", {"admin"}, args=lambda w: [w.rule.key]),
    page("alert-rule-new", {"admin"}),
    Row(
        "alert-rule-edit",
        "post",
        ok({"admin"}, 302),
        403,
        302,
        args=lambda w: [w.rule.key],
        data=lambda w: rule_form(w),
        label="post alert-rule-edit (new version)",
        tags={"redirects"},
    ),
    Row(
        "alert-rule-new",
        "post",
        ok({"admin"}, 302),
        403,
        302,
        data=lambda w: rule_form(w, key="matrix_new"),
        label="post alert-rule-new",
        tags={"redirects"},
    ),
    # --- data stewards: imports and quarantine ------------------------------------------------------------
    page("integrations:batch-list", {"steward"}),
    page("integrations:quarantine-list", {"steward"}),
    page("integrations:quarantine-detail", {"steward"}, args=lambda w: [w.quarantined.pk]),
    api("integrations-api:importbatch-list", {"steward"}),
    api("integrations-api:importbatch-detail", {"steward"}, args=lambda w: [w.quarantined.batch_id]),
    api("integrations-api:quarantinedrow-list", {"steward"}),
    api("integrations-api:quarantinedrow-detail", {"steward"}, args=lambda w: [w.quarantined.pk]),
    api(
        "integrations-api:quarantinedrow-resubmit",
        {"steward"},
        method="post",
        args=lambda w: [w.quarantined.pk],
        data=lambda w: {"row": {**w.quarantined.raw, "birth_date": "2009-01-01"}},
    ),
    # Feed uploads authenticate with a bureau token, never a session (both sides: tests/integrations).
    Row(
        "integrations-api:feed-upload",
        "post",
        {},
        401,
        401,
        args=lambda w: ["police.contacts"],
        data=lambda w: {"rows": []},
        tags={"token"},
    ),
    # --- data stewards: record-match review, linkage overview, merges and splits --------------------------
    page("integrations:review-list", {"steward"}),
    page("integrations:review-detail", {"steward"}, args=lambda w: [w.linkage.pair.pk]),
    Row(
        "integrations:review-detail",
        "post",
        ok({"steward"}, 302),
        403,
        302,
        args=lambda w: [w.linkage.pair.pk],
        data=lambda w: {"decision": "reject", "note": "Different birth dates"},
        label="post integrations:review-detail (decide)",
        tags={"redirects"},
    ),
    page("integrations:linkage-overview", {"steward"}),
    page("integrations:linkage-youth", {"steward"}, args=lambda w: [w.linkage.a.public_id]),
    Row(
        "integrations:linkage-youth",
        "post",
        ok({"steward"}, 302),
        403,
        302,
        args=lambda w: [w.linkage.a.public_id],
        data=lambda w: {"records": [w.linkage.wrong_link.pk], "reason": "Another boy's record"},
        label="post integrations:linkage-youth (split)",
        tags={"redirects"},
    ),
    Row(
        "integrations:merge-reverse",
        "post",
        ok({"steward"}, 302),
        403,
        302,
        args=lambda w: [w.linkage.merge.pk],
        tags={"redirects"},
    ),
    Row(
        "integrations:split-reverse",
        "post",
        ok({"steward"}, 302),
        403,
        302,
        args=lambda w: [w.linkage.split.pk],
        tags={"redirects"},
    ),
    api("integrations-api:reviewpair-list", {"steward"}),
    api("integrations-api:reviewpair-detail", {"steward"}, args=lambda w: [w.linkage.pair.pk]),
    api("integrations-api:reviewpair-accept", {"steward"}, method="post", args=lambda w: [w.linkage.pair.pk]),
    api(
        "integrations-api:reviewpair-reject",
        {"steward"},
        method="post",
        args=lambda w: [w.linkage.pair.pk],
        data=lambda w: {"note": "Different birth dates"},
    ),
    api("integrations-api:linkagemodel-list", {"steward"}),
    api("integrations-api:linkagemodel-detail", {"steward"}, args=lambda w: [w.linkage.model.pk]),
    api("integrations-api:youthmerge-list", {"steward"}),
    api("integrations-api:youthmerge-detail", {"steward"}, args=lambda w: [w.linkage.merge.pk]),
    api(
        "integrations-api:youthmerge-reverse", {"steward"}, method="post", args=lambda w: [w.linkage.merge.pk]
    ),
    api("integrations-api:youthsplit-list", {"steward"}),
    api("integrations-api:youthsplit-detail", {"steward"}, args=lambda w: [w.linkage.split.pk]),
    api(
        "integrations-api:youthsplit-reverse", {"steward"}, method="post", args=lambda w: [w.linkage.split.pk]
    ),
    # --- risk models: registry, reports, model cards, making a model active (model stewards, supervisors) ---
    page("riskmodel:model-list", MODEL_READERS),
    page("riskmodel:model-report", MODEL_READERS, args=model_args),
    page("riskmodel:model-card", MODEL_READERS, args=model_args),
    Row(
        "riskmodel:model-activate",
        "post",
        ok(MODEL_READERS, 302),
        403,
        302,
        args=model_args,
        label="post riskmodel:model-activate (make active)",
        tags={"redirects"},
    ),
    Row(
        "riskmodel:model-activate",
        "get",
        ok(MODEL_READERS, 302),
        403,
        302,
        args=model_args,
        label="get riskmodel:model-activate (leads to the promotion, changes nothing)",
        tags={"redirects"},
    ),
    api("riskmodel-api:riskmodel-list", MODEL_READERS),
    api("riskmodel-api:riskmodel-detail", MODEL_READERS, args=model_args),
    api(
        "riskmodel-api:riskmodel-activate",
        MODEL_READERS,
        method="post",
        args=model_args,
        data=lambda w: {"override_reason": ""},
    ),
    # --- overriding a failed promotion gate: a model steward proposes, a committee supervisor decides ------
    Row(
        "riskmodel:override-propose",
        "post",
        ok({"modeller"}, 302),
        403,
        302,
        args=lambda w: [w.failed_model.version],
        data=lambda w: {"reason": "The test months were too few for this city; the committee accepts it."},
        label="post riskmodel:override-propose",
        tags={"redirects"},
    ),
    Row(
        "riskmodel:override-decide",
        "post",
        ok({"supervisor"}, 302),
        403,
        302,
        args=lambda w: [w.failed_model.version, w.override.pk, "reject"],
        data=lambda w: {"note": "Not convinced."},
        label="post riskmodel:override-decide",
        tags={"redirects"},
    ),
    api(
        "riskmodel-api:riskmodel-propose-override",
        {"modeller"},
        method="post",
        status=201,
        args=lambda w: [w.failed_model.version],
        data=lambda w: {"reason": "The test months were too few for this city; the committee accepts it."},
        extra={"supervisor": 403, "police_supervisor": 403},
    ),
    api(
        "riskmodel-api:riskmodel-decide-override",
        {"supervisor"},
        method="post",
        args=lambda w: [w.failed_model.version, w.override.pk, "reject"],
        data=lambda w: {"note": "Not convinced."},
        extra={"modeller": 403, "police_supervisor": 403},
    ),
    # --- API: audit log ----------------------------------------------------------------------------------
    api("api:auditentry-list", {"auditor"}),
    api("api:auditentry-detail", {"auditor"}, args=lambda w: [w.audit_entry.pk], tags={"audit"}),
    # --- Accounts: second factor and password, each user for their own account. A user whose second factor is
    # done (or not required) is sent on from the second-factor pages; tests/accounts walks the real flow.
    Row("accounts:enrol", "get", ok(SIGNED_IN, 302), 302, 302, tags={"own"}),
    Row("accounts:verify", "get", ok(SIGNED_IN, 302), 302, 302, tags={"own"}),
    Row("accounts:backup_codes", "get", ok(SIGNED_IN, 302), 302, 302, tags={"own"}),
    page("accounts:password_change", SIGNED_IN),
    page("accounts:password_change_done", SIGNED_IN),
    # --- Health: statuses only, for a load balancer ------------------------------------------------------
    page("health", SIGNED_IN, anonymous=200, tags={"public"}),
    # --- Purpose of access (rule 17) -----------------------------------------------------------------------
    page("access-open", TRIAGERS),
    page("access-review-list", {"supervisor", "police_supervisor", "auditor"}),
    Row(
        "access-review-detail",
        "get",
        {**ok({"police_supervisor", "auditor"}), "supervisor": 404},
        403,
        302,
        args=lambda w: [w.access_grant.pk],
    ),  # fmt: skip
    # --- Exports -----------------------------------------------------------------------------------------
    page("export-cases", TRIAGERS, args=lambda w: ["csv"]),
    page("export-referrals", TRIAGERS, args=lambda w: ["xlsx"]),
    page("export-audit-log", {"auditor"}, args=lambda w: ["csv"]),
    page("export-report-caseload", {"supervisor", "police_supervisor"}, args=lambda w: ["csv"]),
    page("export-report-alerts", {"supervisor", "police_supervisor"}, args=lambda w: ["xlsx"]),
    page("export-report-overrides", {"supervisor", "police_supervisor"}, args=lambda w: ["csv"]),
    page("export-report-annual", {"supervisor", "police_supervisor"}),
    page("reports-annual-pdf", {"supervisor", "police_supervisor"}),
    # --- Each person's own preferences (the calendar of dates): everyone signed in, for themselves -----------
    page("accounts:preferences", SIGNED_IN),
    # --- Does outreach help? (the programme evaluation): supervisors only, never workers ------------------
    page("evaluation:outreach", {"supervisor", "police_supervisor"}),
    # --- Subject access: data stewards, for a lawful request --------------------------------------------
    page("privacy:subject-access", {"steward"}),
    Row(
        "privacy:subject-access-youth",
        "get",
        ok({"steward"}),
        403,
        302,
        args=lambda w: [w.y.case.public_id],
        data=lambda w: SUBJECT_REQUEST,
    ),  # fmt: skip
    Row(
        "privacy:subject-access-download",
        "get",
        ok({"steward"}),
        403,
        302,
        args=lambda w: [w.y.case.public_id, "json"],
        data=lambda w: SUBJECT_REQUEST,
    ),  # fmt: skip
    # --- Retention and contested records ---------------------------------------------------------------
    page("integrations:retention-report", {"steward", "auditor"}),
    page("integrations:corrections-queue", {"steward"}),
    page("integrations:contest-decide", {"steward"}, args=lambda w: [w.contest.pk]),
    Row(
        "integrations:contest-new",
        "get",
        {
            **ok({"officer", "police_supervisor"}),
            **not_visible({"guidance", "guidance2", "social", "supervisor", "counsellor"}),
        },
        403,
        302,
        args=lambda w: [w.y.alert.public_id, w.alert_event.pk],
    ),  # fmt: skip
]


def runner_post(name, args=None, data=None, label=""):
    """A form of the meeting's runners: a redirect onwards for them, 403 for everyone else."""
    return Row(
        name, "post", ok(RUNNERS, 302), 403, 302, args=args, data=data, label=label or f"post {name}",
        tags={"redirects"},
    )  # fmt: skip


def meeting_args(w):
    return [w.meeting.pk]


def meeting_item_args(w):
    return [w.meeting.pk, w.meeting_item.pk]


MATRIX += [
    # --- Liaison meetings (casework/meetings) ---------------------------------------------------------------
    page("meeting-list", MEETING_USERS),
    page("meeting-new", RUNNERS),
    runner_post(
        "meeting-new",
        data=lambda w: {
            "title": "聯繫會議",
            "starts_at": (w.now + dt.timedelta(days=7)).strftime("%Y-%m-%dT14:00"),
            "chair": w.u.supervisor.pk,
            "invited_bureaus": [w.b.police.pk],
        },
    ),  # fmt: skip
    Row(
        "meeting-detail",
        "get",
        {**ok(RUNNERS | PARTICIPANTS), **not_visible(NOT_INVITED)},
        403,
        302,
        args=meeting_args,
    ),  # fmt: skip
    runner_post("meeting-propose", args=meeting_args),
    runner_post("meeting-item-add", args=meeting_args, data=lambda w: {"summary": "綜合討論"}),
    runner_post(
        "meeting-item-edit",
        args=meeting_item_args,
        data=lambda w: {"change": "note", f"n{w.meeting_item.pk}-note": "先討論"},
    ),  # fmt: skip
    runner_post(
        "meeting-item-share",
        args=meeting_item_args,
        data=lambda w: {
            f"s{w.meeting_item.pk}-bureau": w.b.police.pk,
            f"s{w.meeting_item.pk}-sources": ["school"],
            f"s{w.meeting_item.pk}-reason": "The police plan the school visit with the committee.",
        },
    ),  # fmt: skip
    runner_post(
        "meeting-item-decide",
        args=meeting_item_args,
        data=lambda w: {f"d{w.meeting_item.pk}-decision": "警察隊聯繫家長"},
    ),  # fmt: skip
    runner_post("meeting-attendance", args=meeting_args, data=lambda w: {"attendees": [w.u.officer.pk]}),
    runner_post("meeting-close", args=meeting_args),
    Row(
        "meeting-pack",
        "get",
        {**ok(PARTICIPANTS), **not_visible(NOT_INVITED | RUNNERS)},
        403,
        302,
        args=lambda w: [w.meeting.pk, "police"],
    ),  # fmt: skip
    page("meeting-minutes", RUNNERS, args=lambda w: [w.held_meeting.pk]),
    Row(
        "meeting-action-done",
        "post",
        # Its owner only; those who run meetings see the item but may not close it (insider review 11).
        {**ok({"officer"}, 302), **ok(RUNNERS, 403)},
        404,
        302,
        args=lambda w: [w.action_item.pk],
        tags={"own"},
    ),  # fmt: skip
    page("meeting-share-list", {"supervisor", "auditor"}),
    page("meeting-share-detail", {"supervisor", "auditor"}, args=lambda w: [w.meeting_share.pk]),
    api("api:meeting-list", MEETING_USERS),
    api(
        "api:meeting-list",
        RUNNERS,
        method="post",
        status=201,
        data=lambda w: {
            "title": "聯繫會議",
            "starts_at": (w.now + dt.timedelta(days=7)).strftime("%Y-%m-%dT14:00:00+08:00"),
            "chair": "supervisor",
            "invited_bureaus": ["police"],
        },
        label="post api:meeting-list (schedule)",
    ),  # fmt: skip
    api("api:meeting-detail", RUNNERS | PARTICIPANTS, args=meeting_args, extra=not_visible(NOT_INVITED)),
    api("api:meeting-agenda", RUNNERS, args=meeting_args),
    api(
        "api:meeting-pack",
        PARTICIPANTS,
        args=meeting_args,
        data=lambda w: {"bureau": "police"},
        extra=not_visible(NOT_INVITED | RUNNERS),
    ),  # fmt: skip
    api("api:actionitem-list", MEETING_USERS),
    api(
        "api:actionitem-detail",
        RUNNERS | {"officer"},
        args=lambda w: [w.action_item.pk],
        extra=not_visible(NOT_INVITED | {"police_supervisor"}),
    ),  # fmt: skip
    api(
        "api:actionitem-complete",
        {"officer"},  # its owner only: those who run meetings may not close it (insider review 11)
        method="post",
        args=lambda w: [w.action_item.pk],
        extra=not_visible(NOT_INVITED | {"police_supervisor"}),
    ),  # fmt: skip
]

SUBJECT_REQUEST = {"reference": "府授法字第1150001號", "basis": "guardian"}


@pytest.fixture
def matrix_world(world):
    w = world
    w.intervention = case_services.log_intervention(
        actor=actor(w.u.guidance), case=w.case, kind=InterventionKind.HOME_VISIT, occurred_on=w.today
    )
    w.decision = triage_services.record_triage_decision(
        actor=actor(w.u.officer),
        youth=w.y.alert,
        bureau=w.b.police,
        decision=TriageDecisionKind.MONITOR,
        reason_code="needs_support",
    )
    from casework.models import AuditEntry
    from integrations.feeds.importing import import_rows
    from integrations.models import QuarantinedRow

    import_rows(feed="police.contacts", rows=[{"contact_no": "P1", "name": "王一", "birth_date": "bad"}])
    w.quarantined = QuarantinedRow.objects.get()
    w.audit_entry = AuditEntry.objects.first()
    from casework.models import AlertRule, Notification
    from casework.notifications import notify

    w.rule = AlertRule.objects.get(key="exposure", is_current=True)
    notify(kind="alert_escalated", user=w.u.police_supervisor, alert=w.alert, youth_id=w.alert.youth_id)
    w.notification = Notification.objects.get()
    w.accepted_referral = case_services.refer(
        actor=actor(w.u.supervisor), youth=w.y.referred, from_bureau=w.b.committee, to_bureau=w.b.welfare,
        reason="Family support", consent="obtained",
    )  # fmt: skip
    case_services.respond_to_referral(actor=actor(w.u.social), referral=w.accepted_referral, accept=True)
    # Built on first use only: most rows never touch it, and building it (a split runs the timeline sync)
    # would slow every one of them.
    from casework.access.services import grant_access
    from integrations.corrections.services import file_contest

    (w.access_grant,) = grant_access(
        actor=actor(w.u.officer), youth=[w.y.none], bureau=w.b.police, purpose_code="new_report",
        purpose_text="Report received from a school tonight",
    )  # fmt: skip
    w.alert_event = w.alert.source_event
    w.contest = file_contest(
        actor=actor(w.u.officer), youth=w.y.alert, event_id=w.alert_event.pk, contested_by="guardian",
        part="not_them", statement="The guardian says the youth was at home that night.",
    )  # fmt: skip
    from casework.meetings import services as meeting_services

    w.meeting = meeting_services.schedule_meeting(
        actor=actor(w.u.supervisor), title="聯繫會議", starts_at=w.now + dt.timedelta(days=2),
        chair=w.u.supervisor, invited_bureaus=[w.b.police, w.b.committee], invitees=[w.u.officer],
    )  # fmt: skip
    w.meeting_item = meeting_services.add_item(
        actor=actor(w.u.supervisor), meeting=w.meeting, summary="深夜遊蕩：協調", youth=w.y.alert
    )
    w.action_item = meeting_services.add_action_item(
        actor=actor(w.u.supervisor),
        item=w.meeting_item,
        text="聯繫家長",
        due_on=w.today,
        owner_user=w.u.officer,
    )
    w.meeting_share = meeting_services.share_item(
        actor=actor(w.u.supervisor), item=w.meeting_item, bureau=w.b.police, sources=["school"],
        case_content=False, reason="The police plan the school visit with the committee.",
    )  # fmt: skip
    w.held_meeting = meeting_services.schedule_meeting(
        actor=actor(w.u.supervisor), title="上月聯繫會議", starts_at=w.now - dt.timedelta(days=20),
        chair=w.u.supervisor, invited_bureaus=[w.b.police],
    )  # fmt: skip
    meeting_services.record_attendance(
        actor=actor(w.u.supervisor), meeting=w.held_meeting, attendees=[w.u.officer]
    )
    meeting_services.close_meeting(actor=actor(w.u.supervisor), meeting=w.held_meeting)
    w.linkage = Lazy(lambda: build_linkage(actor(w.u.steward), history=True))
    w.risk_model = Lazy(lambda: build_risk_model(version=1))
    w.failed_model = Lazy(lambda: build_risk_model(version=2, gate_passed=False))
    w.override = Lazy(
        lambda: PromotionOverride.objects.create(
            model_id=w.failed_model.pk, reason="A proposal to decide.", proposed_by=w.u.modeller
        )
    )
    return w


class Lazy:
    """An object built the first time one of its attributes is read."""

    def __init__(self, build):
        self._build = build
        self._value = None

    def __getattr__(self, name):
        if self._value is None:
            self._value = self._build()
        return getattr(self._value, name)


CASES = [(row, role) for row in MATRIX for role in ROLES]


@pytest.mark.parametrize(("row", "role"), CASES, ids=[f"{r.id} as {role}" for r, role in CASES])
def test_permission_matrix(client, matrix_world, row: Row, role: str):
    w = matrix_world
    if role != "anonymous":
        assert client.login(username=role, password=PASSWORD)
        expected = row.expect.get(role, row.refused)
    else:
        expected = row.anonymous
    url = reverse(row.name, args=row.args(w) if row.args else None)
    data = row.data(w) if row.data else {}
    if "api:" in row.name and row.method in ("post", "patch"):
        response = getattr(client, row.method)(url, data=data, content_type="application/json")
    else:
        response = getattr(client, row.method)(url, data=data)
    assert response.status_code == expected, (
        f"{row.id} as {role}: expected {expected}, got {response.status_code}: {response.content[:300]!r}"
    )
    if "redirects" in row.tags and role != "anonymous" and expected == 302:
        # A form that answers with a redirect when it worked: not the one to the sign-in page.
        assert not response["Location"].startswith(reverse("login")), row.id


def _named_patterns(resolver, prefix=""):
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
            if p.namespace == "admin":
                continue  # the admin site is gated as a whole (admin:index row)
            yield from _named_patterns(p, ns)
        elif isinstance(p, URLPattern) and p.name:
            actions = getattr(p.callback, "actions", None)
            if actions:
                for method in actions:
                    if method not in ("head", "options"):  # HEAD answers as GET does
                        yield f"{prefix}{p.name}", method
            else:
                yield f"{prefix}{p.name}", None


def test_matrix_covers_every_endpoint():
    tried = {(row.name, row.method) for row in MATRIX}
    tried_names = {row.name for row in MATRIX}
    missing = []
    for name, method in set(_named_patterns(get_resolver())):
        if method is None:
            if name not in tried_names:
                missing.append(name)
        elif (name, method) not in tried:
            missing.append(f"{method} {name}")
    assert not missing, f"endpoints with no row in the permission matrix: {sorted(missing)}"


def test_matrix_rows_have_both_sides():
    """Every row shows someone allowed and someone refused."""
    for row in MATRIX:
        if row.tags & {"public", "token"}:
            continue
        if "own" in row.tags:
            # Acting on one's own inbox: the refused side is everyone else's message, or no session.
            assert row.anonymous == 302 and any(s == 302 for s in row.expect.values()), row.id
            continue
        statuses = {row.expect.get(role, row.refused) for role in SIGNED_IN} | {row.anonymous}
        if "redirects" in row.tags:
            # Post/Redirect/Get forms: the allowed side is a 302 onwards, the refused side a 403.
            assert any(s == 302 for s in row.expect.values()) and row.refused == 403, row.id
            continue
        assert any(s < 300 for s in statuses), row.id
        assert any(s >= 300 for s in statuses), row.id
