"""Schemathesis against the OpenAPI schema the app serves, signed in as each role (issue 6, "Hostile input").

For every role of the ``world`` fixture and every operation in ``/api/schema/``, schemathesis generates
requests from the schema (path parameters biased towards objects that exist, so that detail pages and actions
are reached, not only 404s) and sends them through Django's WSGI handler with the role's session cookie and a
CSRF token, so unsafe methods (POST, PATCH) run too. Each example runs in its own rolled-back transaction.

Every response must pass:

* ``not_a_server_error``: no 5xx;
* ``response_schema_conformance``: a documented status's body matches its schema;
* status-code conformance: the status is documented, or one of the refusals every endpoint may give
  (400, 401, 403, 404, 405, 409, 413);
* the youth check: every real youth public ID in the body is within the role's reach (``visible_youth``, the
  identity register for data stewards, the access log for auditors), before or after the request.

``HOSTILE_SCALE=N`` multiplies the examples per operation.
"""

from __future__ import annotations

import os
import re

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.middleware.csrf import _get_new_csrf_string
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from casework.access import policy
from casework.models import (
    Alert,
    AlertRule,
    AuditEntry,
    Case,
    Event,
    Intervention,
    Notification,
    Referral,
    TriageDecision,
    Youth,
)
from integrations.feeds import importing
from integrations.models import ImportBatch, LinkageModel, QuarantinedRow, ReviewPair
from riskmodel.models import RiskModel
from tests.fixtures import ONE_PER_ROLE
from tests.hostile import figures

ROLES = ONE_PER_ROLE
EXAMPLES_PER_OPERATION = 4 * int(os.environ.get("HOSTILE_SCALE", "1"))
# Requests that break the schema (wrong types, missing fields, bad path values): refusals, never a 5xx.
NEGATIVE_EXAMPLES_PER_OPERATION = 2 * int(os.environ.get("HOSTILE_SCALE", "1"))
REFUSALS = {"400", "401", "403", "404", "405", "409", "413"}
# Youth.public_id: "Y" + 10 characters of casework.youth.services.new_youth_public_id's alphabet.
PUBLIC_ID_RE = re.compile(r"Y[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{10}")

# Which existing objects a path parameter can name, by the start of the path.
KNOWN_OBJECTS = {
    "/api/alert-rules/": lambda: list(AlertRule.objects.values_list("pk", flat=True)),
    "/api/alerts/": lambda: list(Alert.objects.values_list("pk", flat=True)),
    "/api/audit/": lambda: list(AuditEntry.objects.order_by("-pk").values_list("pk", flat=True)[:20]),
    "/api/bureaus/": lambda: ["police", "committee", "welfare", "education"],
    "/api/cases/": lambda: list(Case.objects.values_list("pk", flat=True)),
    "/api/events/": lambda: list(Event.objects.values_list("pk", flat=True)),
    "/api/identity/": lambda: list(Youth.objects.values_list("public_id", flat=True)),
    "/api/youth/": lambda: list(Youth.objects.values_list("public_id", flat=True)),
    "/api/interventions/": lambda: list(Intervention.objects.values_list("pk", flat=True)),
    "/api/notifications/": lambda: list(Notification.objects.values_list("pk", flat=True)),
    "/api/referrals/": lambda: list(Referral.objects.values_list("pk", flat=True)),
    "/api/schools/": lambda: ["J01", "J02"],
    "/api/triage-decisions/": lambda: list(TriageDecision.objects.values_list("pk", flat=True)),
    "/api/integrations/batches/": lambda: list(ImportBatch.objects.values_list("pk", flat=True)),
    "/api/integrations/quarantine/": lambda: list(QuarantinedRow.objects.values_list("pk", flat=True)),
    "/api/integrations/review/": lambda: list(ReviewPair.objects.values_list("pk", flat=True)),
    "/api/integrations/linkage-models/": lambda: list(LinkageModel.objects.values_list("pk", flat=True)),
    "/api/integrations/feeds/": lambda: ["police.contacts", "school.students"],
    "/api/models/": lambda: list(RiskModel.objects.values_list("version", flat=True)),
}


# Body fields steered towards real objects and people, so that writes get past "no such youth" and reach the
# services (opening cases, referring, deciding alerts, editing cases) as each role.
KNOWN_BODY_VALUES = {
    "youth": lambda: list(Youth.objects.values_list("public_id", flat=True)),
    "case": lambda: list(Case.objects.values_list("pk", flat=True)),
    "alert": lambda: list(Alert.objects.values_list("pk", flat=True)),
    "lead_bureau": lambda: ["committee", "police", "welfare", "education"],
    "from_bureau": lambda: ["committee", "police", "welfare", "education"],
    "to_bureau": lambda: ["welfare", "committee", "police", "education"],
    "bureau": lambda: ["committee", "police", "welfare", "education"],
    "assignee": lambda: ["guidance", "guidance2", "social", "officer", None],
    "to_user": lambda: ["social", "guidance", None],
    "expected_version": lambda: list(Case.objects.values_list("version", flat=True)),
}


def _known_values(path: str) -> list:
    for prefix, values in KNOWN_OBJECTS.items():
        if path.startswith(prefix):
            return [str(value) for value in values()]
    return []


def _reach(user) -> set[str]:
    """Public IDs of the youth this user may meet in an API answer."""
    reach = set(policy.visible_youth(user).values_list("public_id", flat=True))
    reach |= set(policy.identity_register(user).values_list("public_id", flat=True))
    # Policy: a worker follows every referral they sent to learn its outcome, even once the youth is out of
    # their sight (casework.access.policy.visible_referrals), so those youth IDs are theirs to see.
    reach |= set(Referral.objects.filter(from_user=user).values_list("youth__public_id", flat=True))
    reach |= set(
        policy.visible_audit_entries(user)
        .exclude(youth_public_id="")
        .values_list("youth_public_id", flat=True)
    )
    return reach


def youth_outside_reach(user, body: bytes, before: set[str]) -> set[str]:
    """Real youth public IDs in ``body`` that are outside the user's reach before and after the request."""
    found = set(PUBLIC_ID_RE.findall(body.decode("utf-8", "replace")))
    if not found:
        return set()
    real = set(Youth.objects.filter(public_id__in=found).values_list("public_id", flat=True))
    return real - before - _reach(user) if real else set()


def _documented_statuses(case) -> set[str]:
    return set(case.operation.definition.raw.get("responses", {}))


@pytest.fixture
def wsgi_app():
    """Django's WSGI handler inside the test's transaction. As django.test.Client does, requests must not
    close the database connection (that would end the transaction the test runs in); the test client
    reconnects the closing handlers after each of its own requests, so they are taken off before each call."""
    handler = WSGIHandler()

    def app(environ, start_response):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        return handler(environ, start_response)

    try:
        yield app
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def hostile_world(world):
    """The shared world plus a quarantined row with script in it, so that the integrations endpoints have
    something to show."""
    data = (
        "contact_no,name,birth_date,kind,code\n"
        "P1,<script>alert(1)</script>,2009-01-01,offence,theft\n"
        "P2,王小明,not a date,=cmd|' /C calc'!A0,theft\n"
    ).encode()
    importing.import_file_bytes(feed="police.contacts", data=data, file_name="hostile.csv")
    return world


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_api_as_each_role(role, hostile_world, client, wsgi_app):
    user = getattr(hostile_world.u, role)
    client.force_login(user)
    served = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert served.status_code == 200, served.content[:300]
    schema = schemathesis.openapi.from_dict(served.json())
    schema.app = wsgi_app

    csrf = _get_new_csrf_string()
    cookies = {"sessionid": client.cookies["sessionid"].value, "csrftoken": csrf}
    headers = {"X-CSRFToken": csrf}
    failures: list[str] = []

    def status_code_conformance(ctx, response, case):
        status = str(response.status_code)
        documented = _documented_statuses(case)
        if status not in documented and "default" not in documented and status not in REFUSALS:
            raise AssertionError(f"undocumented status {status} (documented: {sorted(documented)})")

    def youth_within_reach(ctx, response, case):
        # An ID the request itself sent may be echoed back ("no such youth" looks the same for unknown and
        # unseen): that tells the caller nothing new.
        sent = set(PUBLIC_ID_RE.findall(f"{case.body!r} {case.query!r} {case.path_parameters!r}"))
        outside = youth_outside_reach(user, response.content, ctx_reach["before"] | sent)
        if outside:
            raise AssertionError(f"{role} was shown youth outside their reach: {sorted(outside)}")

    ctx_reach: dict[str, set[str]] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50, "the whole API is in the schema"

    def operation_test(operation, mode: GenerationMode, examples: int):
        known = {
            name: _known_values(operation.path) for name in ("id", "public_id", "code", "version", "feed")
        }
        if mode is not GenerationMode.POSITIVE:
            known = {}  # the negated part may be the path itself

        @settings(
            max_examples=examples,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(mode), pick=st.integers(0, 10**6), use_known=st.integers(0, 3))
        def run(case, pick, use_known):
            for name in list(case.path_parameters or {}):
                if use_known and known.get(name):
                    case.path_parameters[name] = known[name][pick % len(known[name])]
            if use_known and known and isinstance(case.body, dict):
                for name, values in KNOWN_BODY_VALUES.items():
                    if name in case.body and (options := values()):
                        case.body[name] = options[pick % len(options)]
            with transaction.atomic():
                # A write can end a reason to see a youth (a revoked referral) that its answer still names.
                ctx_reach["before"] = _reach(user) if case.method != "GET" else set()
                # Schemathesis sets the cookies for "localhost" (its WSGI host), which ALLOWED_HOSTS accepts.
                response = case.call(cookies=cookies, headers=headers)
                if not operation.path.startswith(
                    "/api/integrations/feeds/"
                ):  # feed tokens only, 401 expected
                    assert response.status_code != 401, "the session must sign the request in"
                figures.requests[role] += 1
                figures.outcomes[f"{case.method} {response.status_code // 100}xx"] += 1
                case.validate_response(
                    response,
                    checks=[not_a_server_error, response_schema_conformance],
                    additional_checks=[status_code_conformance, youth_within_reach],
                )
                transaction.set_rollback(True)

        return run

    for operation in operations:
        for mode, examples in (
            (GenerationMode.POSITIVE, EXAMPLES_PER_OPERATION),
            (GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES_PER_OPERATION),
        ):
            try:
                operation_test(operation, mode, examples)()
            except Unsatisfiable:
                continue  # nothing in this operation can be made invalid
            except (Exception, BaseExceptionGroup) as exc:  # collect every failure, report them together
                failures.append(f"{operation.label} ({mode}): {type(exc).__name__}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.django_db
def test_the_youth_check_catches_a_youth_outside_the_role_s_reach(world):
    """The custom check can fail: a body naming a youth the officer has no reason to see is flagged."""
    body = f'{{"youth": "{world.y.none.public_id}", "other": "{world.y.alert.public_id}", "fake": "Y2222222222"}}'
    assert youth_outside_reach(world.u.officer, body.encode(), set()) == {world.y.none.public_id}
    assert youth_outside_reach(world.u.steward, body.encode(), set()) == set()  # the identity register
    assert youth_outside_reach(world.u.modeller, body.encode(), set()) == {
        world.y.none.public_id,
        world.y.alert.public_id,
    }


def test_every_nullable_read_only_field_is_nullable_in_the_schema():
    """The class of schema violation schemathesis found (a null ``acknowledged_by``, ``school``, ``resolved_by``
    ... typed as a plain string; a blank ``closure_reason`` outside its enum), checked for every model
    serializer of the API at once, including the ones no generated request happened to reach."""
    from rest_framework import serializers

    import casework.api.serializers
    import integrations.api
    import riskmodel.api

    problems = []
    for module in (casework.api.serializers, integrations.api, riskmodel.api):
        for name, cls in vars(module).items():
            if not (isinstance(cls, type) and issubclass(cls, serializers.ModelSerializer)):
                continue
            if cls.__module__ != module.__name__:
                continue
            model = cls.Meta.model
            for field_name, field in cls().fields.items():
                source = field.source if field.source not in (None, "*") else field_name
                try:
                    model_field = model._meta.get_field(source)
                except Exception:  # a method or property, not a column
                    continue
                if field.read_only and getattr(model_field, "null", False) and not field.allow_null:
                    problems.append(f"{name}.{field_name} may be null")
                choices = [value for value, _label in (getattr(model_field, "choices", None) or [])]
                blank_allowed = getattr(field, "allow_blank", False) or "" in choices
                if field.read_only and choices and model_field.blank and not blank_allowed:
                    problems.append(f"{name}.{field_name} may be blank")
    assert not problems
