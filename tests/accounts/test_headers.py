"""Security headers and the Content-Security-Policy on pages, the API docs and the admin; check --deploy."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
EXPECTED_CSP = {
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
}


def csp(response) -> set[str]:
    return {part.strip() for part in response["Content-Security-Policy"].split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/accounts/login/", "/", "/api/docs/", "/admin/", "/api/me/"])
def test_every_response_carries_the_security_headers(client, world, path):
    client.force_login(world.u.admin)
    response = client.get(path)
    assert response.status_code == 200, path
    assert csp(response) == EXPECTED_CSP
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_api_docs_page_loads_its_start_up_script_from_a_url(client, world):
    client.force_login(world.u.admin)
    html = client.get(reverse("api-docs")).content.decode()
    assert "<style" not in html
    assert "<script>" not in html
    script = client.get(reverse("api-docs") + "?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_check_deploy_is_clean_with_production_settings():
    # As a deployment would run it: without the test run's own variables (the browser tests allow async-unsafe
    # ORM calls for Playwright, which the deploy check rightly refuses).
    test_only = {"DEBUG", "DATABASE_URL", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in test_only}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.prod", SECRET_KEY=secrets.token_urlsafe(45)[:60])
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNINGS" not in result.stderr
