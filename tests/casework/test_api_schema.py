"""The OpenAPI schema describes every endpoint without warnings, so clients and fuzzers can rely on it."""

from django.core.management import call_command


def test_schema_generates_and_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in ("/api/youth/", "/api/cases/", "/api/audit/", "/api/referrals/{id}/accept/"):
        assert path in text
