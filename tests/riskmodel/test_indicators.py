"""The risk indicators: a documented catalogue of 44, computed as of a date from what was known on it."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from types import SimpleNamespace

import pandas as pd
import pytest
from django.utils import timezone

from casework.models import (
    EVENT_SOURCE,
    Bureau,
    BureauKind,
    Case,
    CaseStatus,
    ConcernType,
    Enrollment,
    Event,
    FairnessAttributes,
    Intervention,
    School,
    User,
)
from casework.youth import services as youth_services
from riskmodel import indicators as ind

D = dt.date(2025, 5, 14)  # a Wednesday in the spring term
OWNER = {"school": BureauKind.EDUCATION, "police": BureauKind.POLICE, "welfare": BureauKind.WELFARE}
_student_no = itertools.count(1)


def ago(days: int) -> dt.date:
    return D - dt.timedelta(days=days)


def noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


@pytest.fixture
def city(db):
    """The four bureaus (as tests/fixtures.py makes them), one school and one worker."""
    bureaus = {
        kind: Bureau.objects.update_or_create(
            kind=kind, defaults={"code": code, "name_zh": code, "name_en": code.title()}
        )[0]
        for code, kind in [
            ("police", BureauKind.POLICE),
            ("committee", BureauKind.COMMITTEE),
            ("welfare", BureauKind.WELFARE),
            ("education", BureauKind.EDUCATION),
        ]
    }
    school = School.objects.create(
        code="T01",
        name_zh="測試國中",
        name_en="Test JH",
        district="桃園區",
        bureau=bureaus[BureauKind.EDUCATION],
    )
    worker = User.objects.create_user(username="worker", password="test-password-123")
    return SimpleNamespace(b=bureaus, school=school, worker=worker)


def youth(name: str, birth: dt.date | None = dt.date(2010, 1, 10), **kw):
    kw = {"sex": "M", "district": "桃園區", "indigenous": False, "new_immigrant_parent": False, **kw}
    return youth_services.create_youth(name=name, birth_date=birth, **kw)


def add(city, y, kind: str, event_date: dt.date, known: dt.date | None = None, code: str = "", **details):
    source = EVENT_SOURCE[kind]
    return youth_services.record_event(
        youth=y,
        kind=kind,
        event_date=event_date,
        knowledge_date=known or event_date,
        owning_bureau=city.b[OWNER[source]],
        school=city.school if source == "school" else None,
        code=code,
        details=details or None,
    )


def enrol(city, y, day: dt.date) -> Enrollment:
    return Enrollment.objects.create(youth=y, school=city.school, student_no=f"S{next(_student_no):04d}",
                                     grade=8, enrolled_on=day)  # fmt: skip


def open_case(city, y, opened: dt.date, closed: dt.date | None = None) -> Case:
    return Case.objects.create(
        youth=y,
        lead_bureau=city.b[BureauKind.COMMITTEE],
        opened_by=city.worker,
        concern=ConcernType.HIGH_CONCERN,
        opened_at=noon(opened),
        status=CaseStatus.CLOSED if closed else CaseStatus.OPENED,
        closed_at=noon(closed) if closed else None,
    )


def log(city, case: Case, occurred: dt.date, logged: dt.date) -> Intervention:
    return Intervention.objects.create(
        case=case, kind="home_visit", occurred_on=occurred, worker=city.worker, created_at=noon(logged)
    )


def row(y, as_of: dt.date = D) -> pd.Series:
    frame = ind.compute(as_of, youth_ids=[y.pk])
    assert list(frame.youth_id) == [y.pk]
    return frame.iloc[0]


def features(y, as_of: dt.date = D) -> dict[str, float]:
    return row(y, as_of)[list(ind.KEYS)].to_dict()


# ---- the catalogue -----------------------------------------------------------------------------------------


def test_the_catalogue_has_exactly_44_indicators_with_unique_snake_case_keys():
    assert len(ind.CATALOGUE) == 44
    assert len(set(ind.KEYS)) == 44
    assert all(re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", key) for key in ind.KEYS)
    assert list(ind.INDICATORS) == list(ind.KEYS)


def test_every_indicator_is_fully_documented_in_chinese_and_english():
    for i in ind.CATALOGUE:
        for name in ("key", "name_zh", "name_en", "domain", "source", "definition", "window", "why",
                     "reason_template_zh", "reason_template_en", "value_kind"):  # fmt: skip
            assert getattr(i, name).strip(), f"{i.key}: {name} is empty"
        assert re.search(r"[\u4e00-\u9fff]", i.name_zh), i.key
        assert re.search(r"[\u4e00-\u9fff]", i.reason_template_zh), i.key
        assert i.name_en.isascii() and i.reason_template_en.isascii(), i.key
        assert "{value}" in i.reason_template_zh and "{value}" in i.reason_template_en, i.key
        assert i.domain in ind.DOMAINS and i.source in ind.SOURCES and i.value_kind in ind.VALUE_KINDS
        assert i.definition.endswith(".") and i.why.endswith("."), i.key


def test_domains_are_school_14_police_12_welfare_10_history_8():
    counts = {d: sum(i.domain == d for i in ind.CATALOGUE) for d in ind.DOMAINS}
    assert counts == {"school": 14, "police": 12, "welfare": 10, "history": 8}


def test_windows_are_bounded_never_ever_flags():
    for i in ind.CATALOGUE:
        assert not re.search(r"\bever\b", i.window), i.key


def test_no_protected_attribute_is_an_indicator():
    for key in ind.KEYS:
        assert key not in ind.PROTECTED_ATTRIBUTES
        assert not re.search(r"sex|gender|indigenous|immigrant|district|ethnic", key), key
    # Income appears only as the household's assistance status, marked as being about other people.
    assert all(key in ind.ABOUT_OTHERS for key in ind.KEYS if "income" in key or "assistance" in key)


def test_indicators_about_other_people_are_listed_with_their_reason():
    assert tuple(i.key for i in ind.CATALOGUE if i.about_others) == ind.ABOUT_OTHERS
    assert {
        "household_low_income_status_now",
        "household_mid_low_income_status_now",
        "household_assistance_months_730d",
        "fragile_family_reports_365d",
        "open_fragile_family_report",
    } == set(ind.ABOUT_OTHERS)
    for i in ind.CATALOGUE:
        assert bool(i.about_others_reason.strip()) == i.about_others, i.key


def test_reasons_read_plainly():
    assert ind.INDICATORS["unexcused_absence_days_90d"].reason(5.0) == "近90天無故缺曠 5 天"
    assert (
        ind.INDICATORS["unexcused_absence_days_90d"].reason(5.0, "en")
        == "unexcused absences in the last 90 days: 5 days"
    )
    assert ind.INDICATORS["in_dropout_now"].reason(1.0) == "目前中輟未復學：是"
    assert ind.INDICATORS["open_case_now"].reason(0.0, "en") == "a case is open now: no"
    assert ind.INDICATORS["child_protection_level_max_365d"].reason(3.0) == "近一年兒少保護通報最高分級：高"
    assert ind.INDICATORS["police_offence_exposure_decayed"].reason(1.25, "en").endswith(": 1.2")


def test_docs_indicators_md_is_up_to_date_with_the_catalogue():
    assert ind.DOC_PATH.read_text(encoding="utf-8") == ind.render_markdown(), (
        "docs/indicators.md is stale: run `python -m riskmodel.indicators`"
    )


def test_the_doc_lists_every_indicator_and_the_about_others_ones():
    doc = ind.render_markdown()
    for i in ind.CATALOGUE:
        assert f"`{i.key}` · {i.name_zh} · {i.name_en}" in doc
    for key in ind.ABOUT_OTHERS:
        assert f"| `{key}` |" in doc


# ---- as-of correctness -------------------------------------------------------------------------------------


def base_history(city, y) -> None:
    """A youth with a past in every domain, all of it known long before D."""
    add(city, y, "absence", ago(200), code="unexcused")
    add(city, y, "absence", ago(150), code="excused")
    add(city, y, "dropout_reported", ago(300), code="family")
    add(city, y, "dropout_returned", ago(280))
    add(city, y, "campus_incident", ago(200), code="discipline_conflict", severity="general")
    add(city, y, "counselling_tier", ago(300), code="tier 1", ended_on=ago(250).isoformat())
    enrol(city, y, dt.date(2024, 9, 1))
    add(city, y, "police_offence", ago(400), code="theft")
    add(city, y, "police_deviant", ago(400), code="late_night_loitering")
    add(city, y, "child_protection", ago(500), code="neglect", level="low", substantiated=False,
        closed_on=ago(450).isoformat(), reasons=["neglect"])  # fmt: skip
    add(city, y, "fragile_family", ago(500), code="economic_hardship", level="low", substantiated=True,
        closed_on=ago(450).isoformat(), reasons=["economic_hardship"])  # fmt: skip
    add(city, y, "assistance_status", ago(700), code="mid_low_income", valid_to=ago(400).isoformat())
    old = open_case(city, y, ago(600), closed=ago(500))
    log(city, old, ago(550), ago(550))


def new_information(city, y, *, known_on: dt.date | None) -> list[Event]:
    """Something new in every domain, dated on or before D; known on ``known_on`` (None: on its own date).

    Known on D, it changes every indicator except age; known after D, it must change none of them.
    """
    late = known_on is not None and known_on > D
    k = known_on
    events = [
        add(city, y, "absence", ago(5), k, code="unexcused"),  # Friday
        add(city, y, "absence", ago(2), k, code="unexcused"),  # Monday
        add(city, y, "absence", ago(1), k, code="unexcused"),  # Tuesday
        add(city, y, "absence", ago(7), k, code="excused"),
        add(city, y, "dropout_reported", ago(20), k, code="individual"),
        add(city, y, "campus_incident", ago(10), k, code="violence_deviance", severity="urgent"),
        add(city, y, "counselling_tier", ago(10), k, code="tier 3", ended_on=None),
        add(city, y, "police_offence", ago(10), k, code="fraud_mule"),
        add(city, y, "police_exposure", ago(12), k, code="drugs"),
        add(city, y, "police_exposure", ago(14), k, code="weapon"),
        add(city, y, "police_deviant", ago(3), k, code="gang_association"),
        add(city, y, "police_missing", ago(4), k, code="runaway"),
        add(
            city,
            y,
            "child_protection",
            ago(40),
            k,
            code="physical_abuse",
            level="high",
            substantiated=True,
            closed_on=None,
            reasons=["physical_abuse"],
        ),  # fmt: skip
        add(
            city,
            y,
            "fragile_family",
            ago(40),
            k,
            code="domestic_violence",
            level="medium",
            substantiated=True,
            closed_on=None,
            reasons=["domestic_violence"],
        ),  # fmt: skip
        add(city, y, "assistance_status", ago(60), k, code="low_income", valid_to=ago(-200).isoformat()),
        add(city, y, "assistance_status", ago(60), k, code="mid_low_income", valid_to=ago(-200).isoformat()),
    ]
    if late:
        # The same kinds of thing happening after D, too.
        events += [
            add(city, y, "absence", ago(-1), code="unexcused"),
            add(city, y, "dropout_reported", ago(-5), code="individual"),
            add(city, y, "police_offence", ago(-3), code="assault"),
            add(city, y, "child_protection", ago(-2), code="neglect", level="high", substantiated=True),
            add(city, y, "assistance_status", ago(-1), code="low_income", valid_to=ago(-300).isoformat()),
        ]
        # Casework and rosters have no knowledge date: after D means opened, logged or begun after D.
        enrol(city, y, ago(-10))
        current = open_case(city, y, ago(-1))
        open_case(city, y, ago(-2), closed=ago(-3))
        log(city, current, ago(-3), ago(-3))
        old = Case.objects.filter(youth=y, opened_at__lt=noon(D)).get()
        log(city, old, ago(3), ago(-2))  # happened before D, logged after it
    else:
        enrol(city, y, ago(30))  # a move during the spring term
        current = open_case(city, y, ago(15))
        open_case(city, y, ago(100), closed=ago(5))
        log(city, current, ago(3), ago(2))
    return events


def test_no_indicator_sees_information_known_after_the_as_of_date(city):
    late, on_time = youth("測試甲"), youth("測試乙")
    for y in (late, on_time):
        base_history(city, y)
    before = {y.pk: features(y) for y in (late, on_time)}
    assert before[late.pk] == before[on_time.pk]

    new_information(city, late, known_on=D + dt.timedelta(days=1))
    new_information(city, on_time, known_on=D)

    after_late = features(late)
    for key in ind.KEYS:
        assert after_late[key] == before[late.pk][key], f"{key} saw the future"
    after_on_time = features(on_time)
    changed = {key for key in ind.KEYS if after_on_time[key] != before[on_time.pk][key]}
    assert changed == set(ind.KEYS) - {"age_years"}


def test_what_was_known_by_the_as_of_date_gives_these_values(city):
    y = youth("測試丙")
    base_history(city, y)
    new_information(city, y, known_on=D)
    f = features(y)
    assert f["unexcused_absence_days_30d"] == 3
    # 4 unexcused days; 147 school days from 1 October 2024 (the feed's first month: base_history's
    # absences) to D; the enrolment of September 2024 is earlier.
    assert f["unexcused_absence_rate_1095d"] == pytest.approx(100 * (4 + 0.4) / (147 + 20))
    assert f["excused_absence_days_90d"] == 1
    assert f["longest_unexcused_run_365d"] == 3  # Friday, Monday, Tuesday
    assert (
        f["dropout_reports_365d"] == 2 and f["days_since_dropout_report"] == 20 and f["in_dropout_now"] == 1
    )
    assert f["campus_incidents_90d"] == 1 and f["serious_campus_incidents_365d"] == 1
    assert f["counselling_tier_now"] == 3 and f["counselling_tier_max_365d"] == 3
    assert f["school_changes_365d"] == 1 and f["school_changes_730d"] == 1
    assert f["police_offence_contacts_180d"] == 1 and f["police_offence_contacts_365d"] == 1
    assert f["police_exposure_contacts_365d"] == 2 and f["police_deviant_contacts_365d"] == 1
    assert f["police_missing_searches_365d"] == 1 and f["days_since_police_contact"] == 3
    assert f["distinct_police_codes_365d"] == 5
    assert (
        f["fraud_mule_contacts_365d"] == 1 and f["drug_contacts_365d"] == 1 and f["weapon_contacts_365d"] == 1
    )
    assert f["child_protection_reports_365d"] == 1 and f["substantiated_child_protection_365d"] == 1
    assert f["child_protection_level_max_365d"] == 3 and f["days_since_child_protection_report"] == 40
    assert f["open_child_protection_report"] == 1
    assert f["fragile_family_reports_365d"] == 1 and f["open_fragile_family_report"] == 1
    assert f["household_low_income_status_now"] == 1 and f["household_mid_low_income_status_now"] == 1
    assert f["cases_opened_730d"] == 3 and f["open_case_now"] == 1 and f["cases_closed_365d"] == 1
    assert f["interventions_365d"] == 1
    assert f["days_since_any_record"] == 1
    assert f["bureaus_with_records_365d"] == 3
    assert f["distinct_event_kinds_365d"] == 10
    assert f["age_years"] == pytest.approx(15 + 4 / 12)  # born 10 January 2010: 15 years and 4 months


def test_an_event_counts_from_the_day_it_was_known_not_the_day_it_happened(city):
    y = youth("測試丁")
    add(city, y, "police_offence", ago(30), known=D, code="theft")
    add(city, y, "police_offence", ago(30), known=D + dt.timedelta(days=1), code="theft")
    assert features(y)["police_offence_contacts_180d"] == 1
    assert features(y, D + dt.timedelta(days=1))["police_offence_contacts_180d"] == 2
    assert features(y, D - dt.timedelta(days=1))["police_offence_contacts_180d"] == 0


def test_sealed_events_never_count(city):
    y = youth("測試戊")
    base_history(city, y)
    before = features(y)
    sealed = [e for e in new_information(city, y, known_on=D) if e.kind != "assistance_status"]
    Event.all_objects.filter(pk__in=[e.pk for e in sealed]).update(sealed_at=timezone.now())
    # Sealing is about bureau records; take the new casework away by hand.
    Intervention.objects.filter(case__youth=y, occurred_on__gt=ago(200)).delete()
    Case.objects.filter(youth=y, opened_at__gt=noon(ago(200))).delete()
    Enrollment.objects.filter(youth=y, enrolled_on__gt=ago(200)).delete()
    after = features(y)
    household = {"household_low_income_status_now", "household_mid_low_income_status_now",
                 "household_assistance_months_730d"}  # fmt: skip
    assert {k for k in ind.KEYS if after[k] != before[k]} == household
    Event.all_objects.filter(youth=y, kind="assistance_status").update(sealed_at=timezone.now())
    assert features(y) == {**before, "household_assistance_months_730d": 0.0}


# ---- windows, decay, codes -----------------------------------------------------------------------------------


def test_a_window_of_n_days_holds_event_dates_in_the_n_days_ending_on_the_as_of_date(city):
    y = youth("測試己")
    add(city, y, "absence", ago(90), code="unexcused")  # exactly 90 days before: outside the 90-day window
    add(city, y, "absence", ago(89), code="unexcused")
    add(city, y, "absence", ago(30), code="unexcused")
    add(city, y, "absence", ago(29), code="unexcused")
    add(city, y, "absence", D, code="unexcused")  # on D itself: inside
    add(city, y, "absence", ago(365), code="unexcused")
    add(city, y, "absence", ago(364), code="unexcused")
    add(city, y, "absence", ago(ind.RATE_LOOKBACK_DAYS), code="unexcused")  # outside the rate's window
    add(city, y, "absence", ago(ind.RATE_LOOKBACK_DAYS - 1), code="unexcused")
    f = features(y)
    assert f["unexcused_absence_rate_1095d"] == pytest.approx(_rate(8, 0))  # no enrolment: no school days
    assert f["unexcused_absence_days_30d"] == 2
    assert f["unexcused_absence_days_90d"] == 4


def _rate(days: int, school_days: int) -> float:
    return 100 * (days + ind.RATE_PRIOR * ind.RATE_PRIOR_DAYS) / (school_days + ind.RATE_PRIOR_DAYS)


def test_the_absence_rate_is_per_school_day_since_enrolment_and_summer_does_not_dilute_it(city):
    y = youth("測試率甲")
    enrol(city, y, dt.date(2025, 3, 1))
    for day in (dt.date(2025, 3, 3), dt.date(2025, 3, 4), dt.date(2025, 4, 1)):
        add(city, y, "absence", day, code="unexcused")
    add(city, y, "absence", dt.date(2025, 3, 5), code="excused")  # counts for the feed, not the rate
    # School days from 1 March 2025 (enrolment; also the feed's first month): 53 to D, 86 to 30 June.
    assert features(y)["unexcused_absence_rate_1095d"] == pytest.approx(_rate(3, 53))
    july = features(y, dt.date(2025, 7, 1))["unexcused_absence_rate_1095d"]
    assert july == pytest.approx(_rate(3, 86))
    assert features(y, dt.date(2025, 8, 29))["unexcused_absence_rate_1095d"] == july  # no school days
    # Without a known enrolment there are no school days: the rate is the prior.
    nobody = youth("測試率乙")
    assert features(nobody)["unexcused_absence_rate_1095d"] == pytest.approx(100 * ind.RATE_PRIOR)


def test_the_absence_feed_starts_at_its_volume_as_known_on_the_date_whoever_is_asked_for(city):
    y, other = youth("測試率丙"), youth("測試率丁")
    enrol(city, y, dt.date(2020, 9, 1))
    enrol(city, other, dt.date(2020, 9, 1))
    march = [dt.date(2025, 3, d) for d in (3, 4, 5, 6, 7, 10, 11, 12)]
    april = [dt.date(2025, 4, d) for d in (1, 2, 3, 4, 7, 8, 9, 10)]
    for day in march + april:
        add(city, other, "absence", day, code="unexcused")
    add(city, y, "absence", dt.date(2023, 3, 1), code="unexcused")  # a stray back-dated row: not a feed start
    # The feed starts on 1 March 2025 (8 and 8 absences a month; 1 is under a quarter of the median): 53
    # school days to D, and the same for a youth asked for alone.
    expected = _rate(1, 53)
    assert features(y)["unexcused_absence_rate_1095d"] == pytest.approx(expected)
    assert features(other)["unexcused_absence_rate_1095d"] == pytest.approx(_rate(16, 53))
    everyone = ind.compute(D).set_index("youth_id")
    assert everyone.loc[y.pk, "unexcused_absence_rate_1095d"] == pytest.approx(expected)
    # Earlier absences learnt of after D do not move the feed's start as of D.
    for d in (1, 2, 3, 4, 7, 8, 9, 10, 11):
        add(city, other, "absence", dt.date(2024, 10, d), D + dt.timedelta(days=1), code="unexcused")
    assert features(y)["unexcused_absence_rate_1095d"] == pytest.approx(expected)


def test_the_same_absence_reported_twice_counts_once(city):
    y = youth("測試庚")
    add(city, y, "absence", ago(3), code="unexcused")
    add(city, y, "absence", ago(3), ago(1), code="unexcused")
    add(city, y, "absence", ago(3), code="excused")
    f = features(y)
    assert f["unexcused_absence_days_30d"] == 1
    assert f["excused_absence_days_90d"] == 1


def test_a_run_of_unexcused_days_spans_a_weekend_and_an_excused_day_breaks_it(city):
    y = youth("測試辛")
    # Thu 2025-05-01, Fri 05-02, Mon 05-05, Tue 05-06: one run of four school days.
    for day in (1, 2, 5, 6):
        add(city, y, "absence", dt.date(2025, 5, day), code="unexcused")
    add(city, y, "absence", dt.date(2025, 5, 7), code="excused")  # Wednesday: leave, not truancy
    for day in (8, 9, 12):  # Thu, Fri, Mon: a run of three
        add(city, y, "absence", dt.date(2025, 5, day), code="unexcused")
    assert features(y)["longest_unexcused_run_365d"] == 4
    # Tuesday and Wednesday (D) extend the second run, but are known only the day after D.
    for day in (13, 14):
        add(city, y, "absence", dt.date(2025, 5, day), D + dt.timedelta(days=1), code="unexcused")
    assert features(y)["longest_unexcused_run_365d"] == 4
    assert features(y, D + dt.timedelta(days=1))["longest_unexcused_run_365d"] == 5


def test_time_decay_halves_weight_every_half_life_and_stops_at_the_window(city):
    y = youth("測試壬")
    add(city, y, "police_offence", D, code="theft")
    add(city, y, "police_exposure", ago(180), code="weapon")
    add(city, y, "police_offence", ago(730), code="theft")  # outside the 730-day window
    add(city, y, "police_deviant", ago(90), code="late_night_loitering")
    add(city, y, "police_deviant", ago(365), code="late_night_loitering")  # outside 365 days
    f = features(y)
    assert f["police_offence_exposure_decayed"] == pytest.approx(1.5)
    assert f["police_deviant_decayed"] == pytest.approx(0.5)
    assert f["days_since_police_contact"] == 0


def test_days_since_is_capped_at_730(city):
    y = youth("測試癸")
    add(city, y, "dropout_reported", ago(730))
    add(city, y, "child_protection", ago(729), level="low")
    f = features(y)
    assert f["days_since_dropout_report"] == 730
    assert f["days_since_child_protection_report"] == 729
    assert f["days_since_police_contact"] == 730


def test_police_contacts_are_counted_by_kind_and_code(city):
    y = youth("測試子")
    add(city, y, "police_offence", ago(10), code="fraud_mule")
    add(city, y, "police_offence", ago(200), code="fraud_mule")
    add(city, y, "police_offence", ago(20), code="drugs")
    add(city, y, "police_exposure", ago(30), code="drugs")
    add(city, y, "police_exposure", ago(40), code="weapon")
    add(city, y, "police_deviant", ago(50), code="late_night_loitering")
    add(city, y, "police_deviant", ago(60), code="late_night_loitering")
    add(city, y, "police_missing", ago(70), code="runaway")
    add(city, y, "police_offence", ago(400), code="weapon")  # older than a year
    f = features(y)
    assert f["police_offence_contacts_180d"] == 2
    assert f["police_offence_contacts_365d"] == 3
    assert f["police_exposure_contacts_365d"] == 2
    assert f["police_deviant_contacts_365d"] == 2
    assert f["police_missing_searches_365d"] == 1
    assert f["fraud_mule_contacts_365d"] == 2
    assert f["drug_contacts_365d"] == 2
    assert f["weapon_contacts_365d"] == 1
    assert f["distinct_police_codes_365d"] == 5  # fraud_mule, drugs, weapon, late_night_loitering, runaway


def test_dropout_state_follows_reports_and_known_returns(city):
    y = youth("測試丑")
    add(city, y, "dropout_reported", ago(100))
    add(city, y, "dropout_returned", ago(80))
    assert features(y)["in_dropout_now"] == 0
    add(city, y, "dropout_reported", ago(20))
    add(city, y, "dropout_returned", ago(10), D + dt.timedelta(days=2))  # the return is not known yet
    f = features(y)
    assert (
        f["in_dropout_now"] == 1 and f["dropout_reports_365d"] == 2 and f["days_since_dropout_report"] == 20
    )
    assert features(y, D + dt.timedelta(days=2))["in_dropout_now"] == 0


def test_counselling_tier_now_and_highest_in_the_year(city):
    y = youth("測試寅")
    add(city, y, "counselling_tier", ago(300), code="tier 3", ended_on=ago(200).isoformat())
    add(city, y, "counselling_tier", ago(100), code="tier 2", ended_on=D.isoformat())  # ends on D: still on
    add(city, y, "counselling_tier", ago(50), code="tier 1", ended_on=None)
    f = features(y)
    assert f["counselling_tier_now"] == 2
    assert f["counselling_tier_max_365d"] == 3
    g = features(y, D + dt.timedelta(days=1))
    assert g["counselling_tier_now"] == 1


def test_campus_incidents_by_severity_and_recency(city):
    y = youth("測試卯")
    add(city, y, "campus_incident", ago(10), code="violence_deviance", severity="general")
    add(city, y, "campus_incident", ago(100), code="violence_deviance", severity="legal")
    add(city, y, "campus_incident", ago(200), code="child_protection", severity="urgent")
    add(
        city, y, "campus_incident", ago(5), ago(-1), code="violence_deviance", severity="urgent"
    )  # known late
    f = features(y)
    assert f["campus_incidents_90d"] == 1
    assert f["serious_campus_incidents_365d"] == 2


def test_a_substantiated_finding_counts_once_the_report_is_30_days_old(city):
    y = youth("測試辰")
    add(
        city, y, "child_protection", ago(30), level="medium", substantiated=True, closed_on=ago(5).isoformat()
    )
    add(city, y, "child_protection", ago(29), level="low", substantiated=True, closed_on=ago(-5).isoformat())
    add(city, y, "child_protection", ago(200), level="low", substantiated=False)
    f = features(y)
    assert f["child_protection_reports_365d"] == 3
    assert f["substantiated_child_protection_365d"] == 1
    assert f["child_protection_level_max_365d"] == 2
    assert f["open_child_protection_report"] == 1  # closed only after D, or never


def test_household_assistance_status_is_valid_between_its_dates_and_lapses_without_an_end(city):
    y, z = youth("測試巳"), youth("測試午")
    add(city, y, "assistance_status", ago(400), code="low_income", valid_to=ago(-100).isoformat())
    add(city, z, "assistance_status", ago(400), code="mid_low_income")  # no end date: lapsed after 365 days
    f, g = features(y), features(z)
    assert f["household_low_income_status_now"] == 1 and f["household_mid_low_income_status_now"] == 0
    assert f["household_assistance_months_730d"] == pytest.approx(401 * 24 / 730)
    assert g["household_mid_low_income_status_now"] == 0
    assert g["household_assistance_months_730d"] == pytest.approx(365 * 24 / 730)


def test_only_moves_during_the_school_year_are_school_changes(city):
    y = youth("測試未")
    enrol(city, y, dt.date(2024, 8, 30))  # start of the school year
    enrol(city, y, dt.date(2025, 2, 17))  # spring term: a move
    enrol(city, y, dt.date(2023, 6, 1))  # 713 days before D: in two years, not in one
    enrol(city, y, dt.date(2025, 6, 1))  # after D
    f = features(y)
    assert f["school_changes_365d"] == 1
    assert f["school_changes_730d"] == 2


def test_cases_count_once_opened_and_interventions_once_logged(city):
    y = youth("測試申")
    case = open_case(city, y, ago(10))
    log(city, case, ago(5), ago(4))
    log(city, case, ago(5), ago(-1))  # logged after D
    open_case(city, y, ago(800), closed=ago(300))
    open_case(city, y, ago(-1))
    f = features(y)
    assert f["cases_opened_730d"] == 1
    assert f["open_case_now"] == 1
    assert f["cases_closed_365d"] == 1
    assert f["interventions_365d"] == 1
    assert features(y, ago(11))["open_case_now"] == 0


def test_household_records_do_not_count_as_records_about_the_youth(city):
    y = youth("測試酉")
    add(city, y, "fragile_family", ago(10), level="low")
    add(city, y, "assistance_status", ago(10), code="low_income", valid_to=ago(-100).isoformat())
    f = features(y)
    assert f["days_since_any_record"] == 730
    assert f["bureaus_with_records_365d"] == 0 and f["distinct_event_kinds_365d"] == 0


def test_protected_attributes_do_not_change_any_indicator(city):
    a = youth("測試戌", sex="M", district="桃園區", indigenous=False, new_immigrant_parent=False)
    b = youth("測試亥", sex="F", district="復興區", indigenous=True, new_immigrant_parent=True)
    for y in (a, b):
        base_history(city, y)
    assert FairnessAttributes.objects.get(youth=b).indigenous is True
    assert features(a) == features(b)


# ---- who is scored, and the shape of the result ---------------------------------------------------------------


def test_only_unmerged_youth_aged_12_to_17_on_the_as_of_date_get_a_row(city):
    def years_before(n: int) -> dt.date:
        return D.replace(year=D.year - n)

    eleven = youth("測試十一", years_before(12) + dt.timedelta(days=1))
    twelve = youth("測試十二", years_before(12))
    seventeen = youth("測試十七", years_before(18) + dt.timedelta(days=1))
    eighteen = youth("測試十八", years_before(18))
    unknown = youth("測試無生日", None)
    kept = youth("測試保留")
    merged = youth("測試合併")
    merged.merged_into = kept
    merged.save()
    everyone = [eleven, twelve, seventeen, eighteen, unknown, kept, merged]
    frame = ind.compute(D, youth_ids=[y.pk for y in everyone])
    assert sorted(frame.youth_id) == sorted([twelve.pk, seventeen.pk, kept.pk])
    ages = dict(zip(frame.youth_id, frame.age_years, strict=True))
    # Age counts completed months: twelve today is 12.0; a day short of eighteen is 17 years and 11 months.
    assert ages[twelve.pk] == 12 and ages[seventeen.pk] == pytest.approx(17 + 11 / 12)
    assert set(ind.compute(D).youth_id) == {twelve.pk, seventeen.pk, kept.pk}
    # A day later the eleven-year-old turns twelve.
    assert eleven.pk in set(ind.compute(D + dt.timedelta(days=1)).youth_id)


def test_the_frame_has_youth_as_of_and_the_catalogue_in_order_as_floats(city):
    y = youth("測試形")
    base_history(city, y)
    frame = ind.compute([D, ago(31)], youth_ids=[y.pk])
    assert list(frame.columns) == ["youth_id", "as_of", *ind.KEYS]
    assert list(frame.as_of) == [ago(31), D]
    assert all(frame[k].dtype == "float64" for k in ind.KEYS)
    assert not frame[list(ind.KEYS)].isna().any().any()


def test_many_as_of_dates_at_once_equal_one_date_at_a_time(city):
    people = [youth(f"測試多{i}") for i in range(3)]
    for y in people:
        base_history(city, y)
    new_information(city, people[1], known_on=D)
    new_information(city, people[2], known_on=D + dt.timedelta(days=40))
    dates = [ago(400), ago(35), D, D + dt.timedelta(days=45)]
    together = ind.compute(dates)
    one_by_one = pd.concat([ind.compute(day) for day in dates], ignore_index=True)
    pd.testing.assert_frame_equal(together, one_by_one)


# ---- labels ------------------------------------------------------------------------------------------------------


def outcome_youth(city):
    o = SimpleNamespace(
        offence=youth("結果觸法"), exposure=youth("結果曝險"), dropout=youth("結果中輟"),
        protected=youth("結果保護"), unfounded=youth("結果未成立"), deviant=youth("結果偏差"),
        nothing=youth("結果無"),
    )  # fmt: skip
    add(city, o.offence, "police_offence", ago(-30), code="theft")
    add(city, o.exposure, "police_exposure", ago(-100), code="weapon")
    add(city, o.dropout, "dropout_reported", ago(-200))
    add(city, o.protected, "child_protection", ago(-300), level="high", substantiated=True)
    add(city, o.unfounded, "child_protection", ago(-10), level="low", substantiated=False)
    add(city, o.deviant, "police_deviant", ago(-10), code="late_night_loitering")
    add(city, o.deviant, "police_missing", ago(-10), code="runaway")
    add(city, o.nothing, "absence", ago(-10), code="unexcused")
    return o


@pytest.mark.parametrize(
    ("variant", "positive"),
    [
        ("default", {"offence", "exposure", "dropout", "protected"}),
        ("police_only", {"offence", "exposure"}),
        ("dropout_only", {"dropout"}),
        ("protection_only", {"protected"}),
    ],
)
def test_each_label_variant_counts_its_adverse_outcomes(city, variant, positive):
    o = outcome_youth(city)
    labels = ind.label(D, variant=variant)
    assert labels.name == f"label_{variant}"
    assert {name for name, y in vars(o).items() if labels.loc[(y.pk, D)] == 1} == positive
    assert set(labels.unique()) <= {0, 1}


def test_the_label_horizon_starts_after_the_as_of_date_and_ends_365_days_later(city):
    on_d, last_day, too_late = youth("界限當日"), youth("界限末日"), youth("界限逾期")
    add(city, on_d, "police_offence", D, code="theft")
    add(city, last_day, "police_offence", ago(-365), code="theft")
    add(city, too_late, "police_offence", ago(-366), code="theft")
    labels = ind.label(D)
    assert labels.loc[(on_d.pk, D)] == 0
    assert labels.loc[(last_day.pk, D)] == 1
    assert labels.loc[(too_late.pk, D)] == 0
    assert ind.label(D, horizon_days=366).loc[(too_late.pk, D)] == 1


def test_the_label_goes_by_event_date_and_ignores_when_it_became_known(city):
    late_known, past = youth("標籤晚知"), youth("標籤過去")
    add(city, late_known, "police_offence", ago(-10), ago(-500), code="fraud_mule")
    add(city, past, "police_offence", ago(10), ago(-10), code="fraud_mule")  # happened before D
    labels = ind.label(D)
    assert labels.loc[(late_known.pk, D)] == 1
    assert labels.loc[(past.pk, D)] == 0


def test_sealed_outcomes_are_not_labels(city):
    y = youth("標籤塗銷")
    event = add(city, y, "police_offence", ago(-10), code="theft")
    assert ind.label(D).loc[(y.pk, D)] == 1
    Event.all_objects.filter(pk=event.pk).update(sealed_at=timezone.now())
    assert ind.label(D).loc[(y.pk, D)] == 0


def test_labels_cover_the_same_rows_as_the_features(city):
    people = [youth("標籤甲"), youth("標籤乙", dt.date(2001, 1, 1)), youth("標籤丙", dt.date(2013, 6, 1))]
    dates = [ago(365), D]
    frame = ind.compute(dates)
    labels = ind.label(dates)
    assert list(zip(frame.youth_id, frame.as_of, strict=True)) == list(labels.index)
    assert {y.pk for y in people} > set(frame.youth_id)


def test_an_unknown_label_variant_is_refused(city):
    with pytest.raises(ValueError):
        ind.label(D, variant="arrests")


def test_a_label_window_is_complete_when_the_horizon_ends_within_the_data():
    assert ind.label_window_complete(D, ago(-365)) is True
    assert ind.label_window_complete(D, ago(-364)) is False
    assert ind.label_window_complete([ago(1), D], ago(-364)) == [True, False]
    assert ind.label_window_complete(D, ago(-100), horizon_days=90) is True


def test_age_counts_completed_months_across_month_ends_and_birthdays(city):
    born = {
        "測試月初": dt.date(2010, 5, 14),  # 15 today
        "測試月底": dt.date(2010, 1, 31),  # 31 January: the 14th of May is past April's anniversary only
        "測試明天": dt.date(2010, 5, 15),  # 15 tomorrow: 14 years and 11 months today
        "測試閏日": dt.date(2012, 2, 29),  # 13 years and 2 months
    }
    people = {name: youth(name, birth) for name, birth in born.items()}
    frame = ind.compute(D, youth_ids=[y.pk for y in people.values()]).set_index("youth_id")
    age = {name: frame.loc[y.pk, "age_years"] for name, y in people.items()}
    assert age["測試月初"] == 15
    assert age["測試月底"] == pytest.approx(15 + 3 / 12)
    assert age["測試明天"] == pytest.approx(14 + 11 / 12)
    assert age["測試閏日"] == pytest.approx(13 + 2 / 12)
