"""The health endpoint: what a load balancer and monitoring read, in every state that matters."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import OperationalError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from config import health
from riskmodel.models import ModelStatus, RiskModel, ScoringRun
from tests.faults.conftest import REDIS_URL

ALLOWED_KEYS = {"status", "checks", "model"}


def active_model(*, scored_days_ago: int | None) -> RiskModel:
    model = RiskModel.objects.create(
        version=7,
        as_of=dt.date(2024, 8, 1),
        config={},
        data_snapshot={},
        seed=1,
        booster="(not used here)",
        calibrator={},
        status=ModelStatus.ACTIVE,
        activated_at=timezone.now(),
    )
    if scored_days_ago is not None:
        at = timezone.now() - dt.timedelta(days=scored_days_ago)
        ScoringRun.objects.create(model=model, as_of=at.date(), created_at=at, scored=10)
    return model


def get(client):
    response = client.get(reverse("health"))
    assert set(response.json()) <= ALLOWED_KEYS
    return response, response.json()


@pytest.mark.django_db
def test_without_an_active_model_the_site_is_degraded_but_keeps_serving(client):
    response, body = get(client)
    assert response.status_code == 200
    assert body == {"status": "degraded", "checks": {"database": "ok", "broker": "eager", "model": "none"}}


@pytest.mark.django_db
def test_with_an_active_model_that_scored_last_night_all_is_well(client):
    model = active_model(scored_days_ago=0)
    response, body = get(client)
    assert response.status_code == 200 and body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "broker": "eager", "model": "ok"}
    assert body["model"] == {"version": model.label, "last_scored_as_of": timezone.now().date().isoformat()}


@pytest.mark.django_db
def test_an_active_model_that_stopped_scoring_is_reported_stale(client):
    active_model(scored_days_ago=3)
    response, body = get(client)
    assert response.status_code == 200
    assert body["status"] == "degraded" and body["checks"]["model"] == "stale"


@pytest.mark.django_db
def test_an_active_model_that_never_scored_is_stale(client):
    active_model(scored_days_ago=None)
    _response, body = get(client)
    assert body["checks"]["model"] == "stale" and body["model"]["last_scored_as_of"] is None


@pytest.mark.django_db
def test_a_broker_that_does_not_answer_makes_the_instance_unhealthy(client):
    active_model(scored_days_ago=0)
    # Port 1 on the loopback: nothing listens there, the connection is refused at once.
    with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0", CELERY_TASK_ALWAYS_EAGER=False):
        response, body = get(client)
    assert response.status_code == 503
    assert body["status"] == "error" and body["checks"]["broker"] == "error"
    assert "127.0.0.1" not in response.content.decode() and "refused" not in response.content.decode()


@pytest.mark.django_db
def test_a_reachable_broker_is_ok(client, redis_client):
    active_model(scored_days_ago=0)
    with override_settings(CELERY_BROKER_URL=REDIS_URL, CELERY_TASK_ALWAYS_EAGER=False):
        response, body = get(client)
    assert response.status_code == 200 and body["checks"]["broker"] == "ok" and body["status"] == "ok"


@pytest.mark.django_db
def test_a_database_that_does_not_answer_makes_the_instance_unhealthy(client, monkeypatch):
    class DownDatabase:
        def cursor(self):
            raise OperationalError("connection to server at 10.0.0.5 failed: secret detail")

    monkeypatch.setattr(health, "connection", DownDatabase())
    response, body = get(client)
    assert response.status_code == 503
    assert body == {"status": "error", "checks": {"database": "error", "broker": "eager", "model": "unknown"}}
    assert "secret detail" not in response.content.decode()


@pytest.mark.django_db
def test_anyone_may_ask_but_only_read_and_nothing_is_cached(client, world):
    response = client.get(reverse("health"))
    assert response.status_code == 200  # anonymous: no redirect to the login page
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert client.head(reverse("health")).status_code == 200
    assert client.post(reverse("health")).status_code == 405
    # Nothing about people: no user names, no youth, whatever exists in the database.
    text = response.content.decode()
    assert "guidance" not in text and world.y.alert.public_id not in text
