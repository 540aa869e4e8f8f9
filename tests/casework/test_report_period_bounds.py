"""A report period far off (0001-01-01 to 9999-12-31) is refused as a form error, never a 500 (insider review
16, N4); a period within the bounds is read."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.fixtures import PASSWORD

FAR = {"date_from": "0001-01-01", "date_to": "9999-12-31"}
PAGES = ["reports-alerts", "reports-overrides", "reports-caseload", "reports-annual", "reports-annual-pdf"]


@pytest.mark.parametrize("name", PAGES)
def test_a_far_off_period_answers_the_page_not_an_error(client, world, name):
    client.login(username="supervisor", password=PASSWORD)
    response = client.get(reverse(name), FAR)
    assert response.status_code == 200, response.status_code


def test_a_far_off_period_is_said_to_be_out_of_bounds(client, world):
    client.login(username="supervisor", password=PASSWORD)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("reports-alerts"), FAR).content.decode()
    assert "between 1912 and 2100" in page
    within = client.get(reverse("reports-alerts"), {"date_from": "2024-01-01", "date_to": "2024-12-31"})
    assert "between 1912 and 2100" not in within.content.decode()


def test_the_exports_refuse_a_far_off_period_without_an_error(client, world):
    client.login(username="supervisor", password=PASSWORD)
    for name in ("export-report-overrides", "export-report-alerts"):
        for fmt in ("csv", "xlsx"):
            response = client.get(reverse(name, args=[fmt]), FAR)
            assert response.status_code < 500, (name, fmt, response.status_code)
    assert client.get(reverse("export-report-annual"), FAR).status_code < 500


def test_the_evaluation_page_refuses_a_far_off_period_without_an_error(client, world):
    client.login(username="supervisor", password=PASSWORD)
    assert client.get(reverse("evaluation:outreach"), FAR).status_code < 500
