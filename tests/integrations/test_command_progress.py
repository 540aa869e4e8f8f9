"""Long commands show their stages on stderr, say nothing there with --verbosity 0, and with --json print
exactly one JSON object on stdout: the summary with the seconds of each stage (config/progress.py)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from config.progress import Reporter
from integrations.feeds.importing import import_file_bytes
from integrations.synthetic import generate_city

pytestmark = pytest.mark.django_db

ROSTER = (
    "student_no,school_code,name,birth_date,sex,grade\n"
    + "".join(f"S{i:05d},SC01,王小{i},2010-01-{1 + i % 28:02d},M,8\n" for i in range(12_000))
).encode()


def run(*args, **options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def one_json_object(stdout: str) -> dict:
    """The whole of stdout is one JSON object (json.loads refuses anything after it)."""
    value = json.loads(stdout)
    assert isinstance(value, dict)
    return value


@pytest.fixture
def roster(tmp_path):
    path = tmp_path / "students.csv"
    path.write_bytes(ROSTER)
    return path


def test_import_feed_json_is_one_object_with_its_stages(roster):
    out, err = run("import_feed", "school.students", str(roster), "--no-link", "--json")
    summary = one_json_object(out)
    assert summary["command"] == "import_feed"
    assert (summary["rows_read"], summary["created"], summary["quarantined"]) == (12_000, 12_000, 0)
    assert list(summary["stages"]) == ["reading", "validating", "storing"]
    assert all(seconds >= 0 for seconds in summary["stages"].values()) and summary["seconds"] > 0
    assert "validating …" in err and "storing done" in err


def test_import_feed_keeps_its_summary_line_and_is_silent_on_stderr_at_verbosity_0(roster):
    out, err = run("import_feed", "school.students", str(roster), "--no-link", verbosity=0)
    assert out.strip() == (
        "school.students: rows read 12000, created 12000, updated 0, unchanged 0, quarantined 0"
    )
    assert err == ""


def test_the_progress_callback_sees_counts_rise_to_the_total():
    heard: list[tuple[str, int, int]] = []
    import_file_bytes(
        feed="school.students", data=ROSTER, file_name="s.csv", progress=lambda *a: heard.append(a)
    )
    stages = list(dict.fromkeys(stage for stage, _, _ in heard))
    assert stages == ["reading", "validating", "storing"]
    validating = [(done, total) for stage, done, total in heard if stage == "validating"]
    counts = [done for done, _ in validating]
    assert counts == sorted(counts) and len(counts) > 2  # reported along the way, not only at the end
    assert counts[-1] == validating[-1][1] == 12_000
    storing = [(done, total) for stage, done, total in heard if stage == "storing"]
    assert storing[-1] == (12_000, 12_000)


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    out = tmp_path_factory.mktemp("progress-city")
    generate_city(youth=300, years=2, seed=7, out=out)
    return out


def test_generate_city_json_and_quiet(tmp_path):
    out, err = run("generate_city", "--youth", "60", "--years", "1", "--out", str(tmp_path / "c"), "--json")
    summary = one_json_object(out)
    assert summary["command"] == "generate_city" and summary["youth"] == 60
    assert {"simulating", "writing"} <= set(summary["stages"])
    assert "simulating …" in err
    out, err = run(
        "generate_city", "--youth", "60", "--years", "1", "--out", str(tmp_path / "d"), verbosity=0
    )
    assert err == "" and "CityReport" in out


def test_link_records_json_and_quiet(city):
    for feed in ("school.students", "police.contacts", "welfare.reports"):
        run("import_feed", feed, str(city / f"{feed}.csv"), "--no-link", verbosity=0)
    out, err = run("link_records", "--json")
    summary = one_json_object(out)
    assert summary["command"] == "link_records" and summary["records"] > 0
    assert {"loading", "training", "predicting", "clustering", "writing", "timeline"} <= set(
        summary["stages"]
    )
    out, err = run("link_records", "--incremental", verbosity=0)
    assert err == "" and "records:" in out


def test_purge_expired_json_and_quiet():
    out, err = run("purge_expired", "--dry-run", "--json")
    summary = one_json_object(out)
    assert summary["command"] == "purge_expired" and summary["dry_run"] is True
    assert list(summary["stages"]) == ["checking"]
    out, err = run("purge_expired", "--dry-run", verbosity=0)
    assert err == "" and out.startswith("Retention as of")


def test_seed_demo_json_and_quiet(settings):
    settings.DEBUG = True
    out, err = run("seed_demo", "--hand-made", "--youth", "20", "--json")
    summary = one_json_object(out)
    assert summary["command"] == "seed_demo" and "building" in summary["stages"]
    assert "key " not in out  # no authenticator keys in a summary meant for logs
    out, err = run("seed_demo", "--hand-made", "--youth", "20", verbosity=0)
    assert err == "" and "Demo users" in out


def test_a_terminal_gets_a_progress_bar_and_a_pipe_does_not():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    screen = Terminal()
    reporter = Reporter("x", stderr=screen)
    reporter.console.force_terminal = True
    for done in range(0, 101, 10):
        reporter.progress("storing", done, 100)
    reporter.summary({})
    assert "storing" in screen.getvalue() and "100/100" in screen.getvalue()
    pipe = io.StringIO()
    reporter = Reporter("x", stderr=pipe)
    for done in range(0, 101, 10):
        reporter.progress("storing", done, 100)
    reporter.summary({})
    assert "100/100" not in pipe.getvalue() and "storing done" in pipe.getvalue()
