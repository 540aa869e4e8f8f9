"""The risk model's indicators: a documented catalogue of 44 features, their as-of computation, and labels.

Rules every indicator keeps (tested in ``tests/riskmodel/test_indicators.py``):

* **As of a date D, only what was known on D.** An event counts only when its knowledge date (the day the
  bureau learned of it) is on or before D; windows are then measured on the event date, so "the last 90
  days" means event date in ``(D - 90, D]`` among the events known on D. Cases count from the day they were
  opened, interventions from the day they were logged.
* **Sealed records count as never made.** Events are read through ``Event.objects``, which hides them.
* **No protected attribute is an indicator**: sex, indigenous status, new-immigrant parentage, district and
  low income as a group label are kept for the fairness audit only. Age is an indicator (see ``age_years``).
* **Indicators about other people** (the household) are marked ``about_others`` with the reason, and listed
  in :data:`ABOUT_OTHERS` so that the model report can run an ablation without them.
* Windowed counts, rates and time-decayed sums, not "ever" flags: nothing older than 730 days is used,
  except the rate of unexcused absence per school day (1095 days) and a household assistance status that is
  still valid.

Labels (:func:`label`) look into the future on purpose; features never do.

The catalogue is plain data, importable without Django; :func:`compute` and :func:`label` read the
database. ``python -m riskmodel.indicators`` rewrites ``docs/indicators.md`` from the catalogue.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

DOMAINS = ("school", "police", "welfare", "history")
SOURCES = ("education", "police", "welfare", "casework")
# What an indicator may read (``Indicator.reads``): the three bureaus' records, and on the platform itself the
# youth's cases (that they exist, opened and closed), the work logged on them, and the youth record (birth date).
# Casework pages show a score's reason only to a viewer who may read every one of these it reads.
READS = ("education", "police", "welfare", "cases", "interventions", "identity")
VALUE_KINDS = ("count", "days", "flag", "tier", "level", "months", "score", "years")

MIN_AGE, MAX_AGE = 12, 17
# The longest look-back of any indicator and the cap of the "days since" indicators.
LOOKBACK_DAYS = 730
# The one longer window: the rate of unexcused absence per school day (a lasting trait, see
# ``unexcused_absence_rate_1095d``), with a prior of RATE_PRIOR_DAYS school days at RATE_PRIOR per day.
RATE_LOOKBACK_DAYS = 1095
RATE_PRIOR_DAYS, RATE_PRIOR = 20.0, 0.02
# Term time of Taiwanese junior and senior high schools (month, day): from 30 August to 20 January and from
# 11 February to 30 June, Monday to Friday; public holidays are not taken out.
SCHOOL_TERMS = (((8, 30), (1, 20)), ((2, 11), (6, 30)))
# Only the latest version of a welfare report is on the timeline, so the day its substantiation was decided
# is unknown; assessments take up to 30 days, so a finding counts only once the report is 30 days old.
SUBSTANTIATION_LAG_DAYS = 30
# Assistance status is reviewed yearly; one recorded without an end date lapses after a year.
ASSISTANCE_DEFAULT_DAYS = 365
# Enrolments that start in this part of the year are the normal start of a school year (including the move
# from junior to senior high), not a school change.
SCHOOL_YEAR_START = ((8, 1), (9, 15))
SERIOUS_INCIDENT_SEVERITIES = ("urgent", "legal")
HIGH_CONCERN_CODES = ("fraud_mule", "drugs", "weapon")

# Kept for the fairness audit only; never indicators (see DOMAIN.md and FEEDS.md).
PROTECTED_ATTRIBUTES = ("sex", "indigenous", "new_immigrant_parent", "district", "low_income_group")

DOC_PATH = Path(__file__).resolve().parents[1] / "docs" / "indicators.md"


@dataclass(frozen=True)
class Indicator:
    """One documented indicator: what it counts, over which window, why it is there, how it reads."""

    key: str
    name_zh: str
    name_en: str
    domain: str
    source: str
    definition: str
    window: str
    why: str
    reason_template_zh: str
    reason_template_en: str
    value_kind: str = "count"
    about_others: bool = False
    about_others_reason: str = ""
    # The records it reads (from ``READS``). An indicator of one bureau's records reads that bureau's source
    # and need not say so; one on the platform's own records ("casework") must say which.
    reads: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.reads:
            if self.source not in ("education", "police", "welfare"):
                raise ValueError(f"{self.key}: say which records it reads (reads=...)")
            object.__setattr__(self, "reads", (self.source,))
        unknown = set(self.reads) - set(READS)
        if unknown:
            raise ValueError(f"{self.key}: unknown records read: {sorted(unknown)}")

    def format_value(self, value: float, language: str = "zh") -> str:
        """The value as a supervisor reads it (是/否 for flags, 高/中/低 for levels)."""
        en = language.startswith("en")
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return "—"
        if self.value_kind == "flag":
            return ("yes" if value else "no") if en else ("是" if value else "否")
        if self.value_kind == "level":
            names = ("none", "low", "medium", "high") if en else ("無", "低", "中", "高")
            return names[int(min(max(round(value), 0), 3))]
        if self.value_kind in ("months", "score"):
            return f"{value:.1f}"
        return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"

    def reason(self, value: float, language: str = "zh") -> str:
        """The plain-language reason shown next to a score, in Traditional Chinese or English."""
        template = self.reason_template_en if language.startswith("en") else self.reason_template_zh
        return template.format(value=self.format_value(value, language))


_HOUSEHOLD_REASON = (
    "It describes the household (the parents' income and circumstances), not anything the youth did; "
    "household-level features are known to flag children for their family's situation and to keep "
    "flagging them, so the model report must show how the model does without them."
)

CATALOGUE: tuple[Indicator, ...] = (
    # ---- school ------------------------------------------------------------------------------------------
    Indicator(
        key="unexcused_absence_days_30d",
        name_zh="近30天無故缺曠日數",
        name_en="Unexcused absence days, last 30 days",
        domain="school",
        source="education",
        definition="Number of distinct days with an unexcused absence (school.absences kind unexcused) dated in the last 30 days.",
        window="30 days",
        why="Recent unexcused absence is the earliest sign of school disengagement a school sees, and it precedes dropout and contact with the police.",
        reason_template_zh="近30天無故缺曠 {value} 天",
        reason_template_en="unexcused absences in the last 30 days: {value} days",
    ),
    Indicator(
        key="unexcused_absence_days_90d",
        name_zh="近90天無故缺曠日數",
        name_en="Unexcused absence days, last 90 days",
        domain="school",
        source="education",
        definition="Number of distinct days with an unexcused absence dated in the last 90 days.",
        window="90 days",
        why="Absence sustained over a term separates chronic truancy, a strong predictor of dropout and delinquency, from a bad week.",
        reason_template_zh="近90天無故缺曠 {value} 天",
        reason_template_en="unexcused absences in the last 90 days: {value} days",
    ),
    Indicator(
        key="unexcused_absence_rate_1095d",
        name_zh="近三年每百上課日無故缺曠日數",
        name_en="Unexcused absence days per 100 school days, last 1095 days",
        domain="school",
        source="education",
        definition="100 × (unexcused absence days dated in the last 1095 days + 0.4) / (school days in that window + 20), where the school days are term weekdays (30 August to 20 January and 11 February to 30 June) from the later of the youth's first known enrolment and the start of the absence feed; the 0.4 and 20 pull a short history towards 2 per 100.",
        window="1095 days, per school day",
        why="Chronic absence is a lasting trait, so a rate over all the school days of three years estimates it better than a count over a few months, and dividing by school days keeps summer holidays and a recent start at secondary school from reading as good attendance.",
        reason_template_zh="近三年每百上課日無故缺曠 {value} 天",
        reason_template_en="unexcused absence days per 100 school days in the last three years: {value}",
        value_kind="score",
    ),
    Indicator(
        key="excused_absence_days_90d",
        name_zh="近90天請假日數",
        name_en="Excused absence days, last 90 days",
        domain="school",
        source="education",
        definition="Number of distinct days with an excused absence (school.absences kind excused) dated in the last 90 days.",
        window="90 days",
        why="Frequent excused absence can mean illness, caring duties or family strain and often comes before unexcused absence; kept apart so the two are not confused.",
        reason_template_zh="近90天請假 {value} 天",
        reason_template_en="excused absences in the last 90 days: {value} days",
    ),
    Indicator(
        key="longest_unexcused_run_365d",
        name_zh="近一年最長連續無故缺曠日數",
        name_en="Longest run of consecutive unexcused school days, last 365 days",
        domain="school",
        source="education",
        definition="Length of the longest run of consecutive school days (Monday to Friday; a weekend does not break a run) with an unexcused absence, among absences dated in the last 365 days.",
        window="365 days",
        why="Three or more consecutive school days absent without leave is the legal definition of dropout (中輟); long runs show how close a youth has come to it.",
        reason_template_zh="近一年最長連續無故缺曠 {value} 天",
        reason_template_en="longest run of unexcused school days in the last year: {value}",
    ),
    Indicator(
        key="dropout_reports_365d",
        name_zh="近一年中輟通報次數",
        name_en="Dropout reports, last 365 days",
        domain="school",
        source="education",
        definition="Number of dropout reports (school.dropouts) with a report date in the last 365 days.",
        window="365 days",
        why="A dropout episode cuts the youth off from school's protection and is the group the programme most wants to reach early; repeated episodes are worse.",
        reason_template_zh="近一年中輟通報 {value} 次",
        reason_template_en="dropout reports in the last year: {value}",
    ),
    Indicator(
        key="days_since_dropout_report",
        name_zh="距最近一次中輟通報天數",
        name_en="Days since the last dropout report",
        domain="school",
        source="education",
        definition="Days from the report date of the most recent dropout report to the as-of date; 730 when there is none in the last 730 days.",
        window="capped at 730 days",
        why="The months after a dropout episode carry the highest risk of a new one and of police contact, and the risk fades with time.",
        reason_template_zh="距最近一次中輟通報 {value} 天",
        reason_template_en="days since the last dropout report: {value}",
        value_kind="days",
    ),
    Indicator(
        key="in_dropout_now",
        name_zh="目前中輟未復學",
        name_en="Currently in dropout (reported, not returned)",
        domain="school",
        source="education",
        definition="1 when the most recent dropout report of the last 730 days has no return known by the as-of date and dated on or after it, else 0.",
        window="state on the as-of date (reports of the last 730 days)",
        why="A youth out of school now is the clearest case for outreach and the police already help search (協尋) for them.",
        reason_template_zh="目前中輟未復學：{value}",
        reason_template_en="currently out of school after a dropout report: {value}",
        value_kind="flag",
    ),
    Indicator(
        key="campus_incidents_90d",
        name_zh="近90天校安通報件數",
        name_en="Campus-safety incidents, last 90 days",
        domain="school",
        source="education",
        definition="Number of campus-safety reports (校安通報, any category and severity) concerning the youth with an occurrence date in the last 90 days.",
        window="90 days",
        why="Recent incidents at school (violence, conflict, child-protection concerns raised by the school) show trouble the school has already noticed.",
        reason_template_zh="近90天校安通報 {value} 件",
        reason_template_en="campus-safety incidents in the last 90 days: {value}",
    ),
    Indicator(
        key="serious_campus_incidents_365d",
        name_zh="近一年緊急或法定校安通報件數",
        name_en="Urgent or legally reportable campus incidents, last 365 days",
        domain="school",
        source="education",
        definition="Number of campus-safety reports of severity urgent or legal (緊急、法定通報) with an occurrence date in the last 365 days.",
        window="365 days",
        why="Severity matters more than volume: urgent and legally reportable incidents are the ones the law requires the school to escalate within hours.",
        reason_template_zh="近一年緊急或法定校安通報 {value} 件",
        reason_template_en="urgent or legally reportable campus incidents in the last year: {value}",
    ),
    Indicator(
        key="counselling_tier_now",
        name_zh="目前三級輔導層級",
        name_en="Current counselling tier",
        domain="school",
        source="education",
        definition="Highest tier (1 developmental, 2 intervention, 3 treatment) among counselling episodes started in the last 730 days and not ended before the as-of date; 0 when none.",
        window="state on the as-of date (episodes started in the last 730 days)",
        why="The school's own three-tier counselling (三級輔導) grades how much help a student needs; tiers 2 and 3 mean the school has already judged the need serious.",
        reason_template_zh="目前三級輔導層級：{value}",
        reason_template_en="current counselling tier: {value}",
        value_kind="tier",
    ),
    Indicator(
        key="counselling_tier_max_365d",
        name_zh="近一年最高輔導層級",
        name_en="Highest counselling tier, last 365 days",
        domain="school",
        source="education",
        definition="Highest tier among counselling episodes started in the last 730 days that were open at any time in the last 365 days; 0 when none.",
        window="365 days",
        why="A recent tier-2 or tier-3 episode that has ended still marks a youth whose needs may return.",
        reason_template_zh="近一年最高輔導層級：{value}",
        reason_template_en="highest counselling tier in the last year: {value}",
        value_kind="tier",
    ),
    Indicator(
        key="school_changes_365d",
        name_zh="近一年學期中轉學次數",
        name_en="School changes during the school year, last 365 days",
        domain="school",
        source="education",
        definition="Number of enrolments at a school that began in the last 365 days outside 1 August to 15 September (so not the normal start of a school year).",
        window="365 days",
        why="Moving school during the year breaks ties with teachers and peers and is associated with disengagement and dropout.",
        reason_template_zh="近一年學期中轉學 {value} 次",
        reason_template_en="school changes during the school year in the last year: {value}",
    ),
    Indicator(
        key="school_changes_730d",
        name_zh="近兩年學期中轉學次數",
        name_en="School changes during the school year, last 730 days",
        domain="school",
        source="education",
        definition="Number of enrolments at a school that began in the last 730 days outside 1 August to 15 September.",
        window="730 days",
        why="Repeated moves over two years point to instability at home or exclusion from school, not a single transfer.",
        reason_template_zh="近兩年學期中轉學 {value} 次",
        reason_template_en="school changes during the school year in the last two years: {value}",
    ),
    # ---- police ------------------------------------------------------------------------------------------
    Indicator(
        key="police_offence_contacts_180d",
        name_zh="近180天觸法紀錄次數",
        name_en="Police contacts for an offence, last 180 days",
        domain="police",
        source="police",
        definition="Number of police contacts of kind offence (觸法) with an occurrence date in the last 180 days.",
        window="180 days",
        why="A recent offence is the strongest single predictor of another, and offences must reach the juvenile court, so support should start early.",
        reason_template_zh="近180天觸法紀錄 {value} 次",
        reason_template_en="police contacts for an offence in the last 180 days: {value}",
    ),
    Indicator(
        key="police_offence_contacts_365d",
        name_zh="近一年觸法紀錄次數",
        name_en="Police contacts for an offence, last 365 days",
        domain="police",
        source="police",
        definition="Number of police contacts of kind offence with an occurrence date in the last 365 days.",
        window="365 days",
        why="Repetition over a year separates persistent offending from a one-off incident.",
        reason_template_zh="近一年觸法紀錄 {value} 次",
        reason_template_en="police contacts for an offence in the last year: {value}",
    ),
    Indicator(
        key="police_exposure_contacts_365d",
        name_zh="近一年曝險行為紀錄次數",
        name_en="Police contacts for exposure behaviour, last 365 days",
        domain="police",
        source="police",
        definition="Number of police contacts of kind exposure (曝險: carrying weapons, drug use short of a crime, unpunished preparation or attempt) with an occurrence date in the last 365 days.",
        window="365 days",
        why="Exposure behaviours are exactly what the Juvenile Justice Act now routes to administrative guidance first, so they call for the committee's outreach.",
        reason_template_zh="近一年曝險行為紀錄 {value} 次",
        reason_template_en="police contacts for exposure behaviour in the last year: {value}",
    ),
    Indicator(
        key="police_deviant_contacts_365d",
        name_zh="近一年偏差行為紀錄次數",
        name_en="Police contacts for deviant behaviour, last 365 days",
        domain="police",
        source="police",
        definition="Number of police contacts of kind deviant (偏差行為, mostly late-night loitering) with an occurrence date in the last 365 days.",
        window="365 days",
        why="Deviant-behaviour warnings are a softer concern than offences but often come first; kept separate from the legal status as DOMAIN.md requires.",
        reason_template_zh="近一年偏差行為紀錄 {value} 次",
        reason_template_en="police contacts for deviant behaviour in the last year: {value}",
    ),
    Indicator(
        key="police_missing_searches_365d",
        name_zh="近一年協尋紀錄次數",
        name_en="Police searches for the youth (missing or dropout), last 365 days",
        domain="police",
        source="police",
        definition="Number of police contacts of kind missing (searches for a runaway or a dropout) with an occurrence date in the last 365 days.",
        window="365 days",
        why="Running away and being searched for mark a youth away from home and school, at risk of exploitation and of being drawn into offending.",
        reason_template_zh="近一年協尋紀錄 {value} 次",
        reason_template_en="police searches for the youth in the last year: {value}",
    ),
    Indicator(
        key="police_offence_exposure_decayed",
        name_zh="觸法及曝險紀錄時間加權分數",
        name_en="Offence and exposure contacts, time-decayed",
        domain="police",
        source="police",
        definition="Sum over police contacts of kind offence or exposure dated in the last 730 days of 0.5 ** (days before the as-of date / 180).",
        window="half-life 180 days (contacts of the last 730 days)",
        why="Risk after an offence fades over months; a decayed sum weighs a contact last month fully and one two years ago little, instead of flagging forever.",
        reason_template_zh="觸法及曝險紀錄時間加權分數 {value}",
        reason_template_en="offence and exposure contacts, weighted by recency: {value}",
        value_kind="score",
    ),
    Indicator(
        key="police_deviant_decayed",
        name_zh="偏差行為紀錄時間加權分數",
        name_en="Deviant-behaviour contacts, time-decayed",
        domain="police",
        source="police",
        definition="Sum over police contacts of kind deviant dated in the last 365 days of 0.5 ** (days before the as-of date / 90).",
        window="half-life 90 days (contacts of the last 365 days)",
        why="Warnings for loitering matter while they are recent and frequent; their weight halves every three months.",
        reason_template_zh="偏差行為紀錄時間加權分數 {value}",
        reason_template_en="deviant-behaviour contacts, weighted by recency: {value}",
        value_kind="score",
    ),
    Indicator(
        key="days_since_police_contact",
        name_zh="距最近一次警方紀錄天數",
        name_en="Days since the last police contact",
        domain="police",
        source="police",
        definition="Days from the occurrence date of the most recent police contact of any kind to the as-of date; 730 when there is none in the last 730 days.",
        window="capped at 730 days",
        why="Recency of any police contact marks the window in which outreach can still change the course of events.",
        reason_template_zh="距最近一次警方紀錄 {value} 天",
        reason_template_en="days since the last police contact: {value}",
        value_kind="days",
    ),
    Indicator(
        key="distinct_police_codes_365d",
        name_zh="近一年警方紀錄類別數",
        name_en="Distinct kinds of police contact, last 365 days",
        domain="police",
        source="police",
        definition="Number of distinct codes (e.g. theft, fraud_mule, late_night_loitering, runaway) among police contacts with an occurrence date in the last 365 days.",
        window="365 days",
        why="Versatility (several kinds of behaviour rather than one) is a known marker of more entrenched problems.",
        reason_template_zh="近一年警方紀錄涉及 {value} 種類別",
        reason_template_en="kinds of police contact in the last year: {value}",
    ),
    Indicator(
        key="fraud_mule_contacts_365d",
        name_zh="近一年車手相關紀錄次數",
        name_en="Fraud money-mule contacts, last 365 days",
        domain="police",
        source="police",
        definition="Number of police contacts with code fraud_mule (車手) and an occurrence date in the last 365 days.",
        window="365 days",
        why="Money-mule fraud is the largest group of juvenile offences nationally and usually means recruitment by adult fraud rings, which needs a specific response.",
        reason_template_zh="近一年車手相關紀錄 {value} 次",
        reason_template_en="fraud money-mule contacts in the last year: {value}",
    ),
    Indicator(
        key="drug_contacts_365d",
        name_zh="近一年毒品相關紀錄次數",
        name_en="Drug-related police contacts, last 365 days",
        domain="police",
        source="police",
        definition="Number of police contacts with code drugs (an offence or an exposure behaviour) and an occurrence date in the last 365 days.",
        window="365 days",
        why="Drug use is one of the three exposure behaviours named by the law and calls for medical and psychological help, not only guidance.",
        reason_template_zh="近一年毒品相關紀錄 {value} 次",
        reason_template_en="drug-related police contacts in the last year: {value}",
    ),
    Indicator(
        key="weapon_contacts_365d",
        name_zh="近一年攜帶危險器械紀錄次數",
        name_en="Weapon-carrying police contacts, last 365 days",
        domain="police",
        source="police",
        definition="Number of police contacts with code weapon and an occurrence date in the last 365 days.",
        window="365 days",
        why="Habitually carrying dangerous weapons is one of the three exposure behaviours named by the law and a marker of risk of violence.",
        reason_template_zh="近一年攜帶危險器械紀錄 {value} 次",
        reason_template_en="weapon-carrying police contacts in the last year: {value}",
    ),
    # ---- welfare -----------------------------------------------------------------------------------------
    Indicator(
        key="child_protection_reports_365d",
        name_zh="近一年兒少保護通報件數",
        name_en="Child-protection reports, last 365 days",
        domain="welfare",
        source="welfare",
        definition="Number of child-protection reports (welfare.reports kind child_protection) about the youth with a report date in the last 365 days.",
        window="365 days",
        why="Maltreatment is among the best-documented antecedents of dropout, running away and offending; a report means professionals are worried about the child's safety.",
        reason_template_zh="近一年兒少保護通報 {value} 件",
        reason_template_en="child-protection reports in the last year: {value}",
    ),
    Indicator(
        key="substantiated_child_protection_365d",
        name_zh="近一年經查屬實之兒少保護通報件數",
        name_en="Substantiated child-protection reports, last 365 days",
        domain="welfare",
        source="welfare",
        definition="Number of child-protection reports with a report date in the last 365 days and at least 30 days before the as-of date that are marked substantiated.",
        window="365 days (findings count 30 days after the report)",
        why="A substantiated report is a finding, not only a concern; the 30-day delay keeps a finding made after the as-of date out of the features.",
        reason_template_zh="近一年經查屬實之兒少保護通報 {value} 件",
        reason_template_en="substantiated child-protection reports in the last year: {value}",
    ),
    Indicator(
        key="child_protection_level_max_365d",
        name_zh="近一年兒少保護通報最高分級",
        name_en="Highest level of a child-protection report, last 365 days",
        domain="welfare",
        source="welfare",
        definition="Highest assessed level (3 high, 2 medium, 1 low) among child-protection reports with a report date in the last 365 days; 0 when none.",
        window="365 days",
        why="The level assessed at intake (分級分類) grades how urgent the danger was judged to be.",
        reason_template_zh="近一年兒少保護通報最高分級：{value}",
        reason_template_en="highest child-protection report level in the last year: {value}",
        value_kind="level",
    ),
    Indicator(
        key="days_since_child_protection_report",
        name_zh="距最近一次兒少保護通報天數",
        name_en="Days since the last child-protection report",
        domain="welfare",
        source="welfare",
        definition="Days from the report date of the most recent child-protection report to the as-of date; 730 when there is none in the last 730 days.",
        window="capped at 730 days",
        why="Risk is highest soon after maltreatment comes to light, while the family situation is unresolved.",
        reason_template_zh="距最近一次兒少保護通報 {value} 天",
        reason_template_en="days since the last child-protection report: {value}",
        value_kind="days",
    ),
    Indicator(
        key="open_child_protection_report",
        name_zh="兒少保護案件處理中",
        name_en="Child-protection report still open",
        domain="welfare",
        source="welfare",
        definition="1 when a child-protection report with a report date in the last 730 days has no closing date on or before the as-of date, else 0.",
        window="state on the as-of date (reports of the last 730 days)",
        why="An open report means a social worker is already involved, which matters both for risk and for which bureau should reach out.",
        reason_template_zh="兒少保護案件處理中：{value}",
        reason_template_en="a child-protection report is still open: {value}",
        value_kind="flag",
    ),
    Indicator(
        key="fragile_family_reports_365d",
        name_zh="近一年脆弱家庭通報件數",
        name_en="Fragile-family reports, last 365 days",
        domain="welfare",
        source="welfare",
        definition="Number of fragile-family reports (welfare.reports kind fragile_family) naming the youth with a report date in the last 365 days.",
        window="365 days",
        why="Household stressors such as a parent's illness, substance use, imprisonment or domestic violence raise a child's risk of every adverse outcome the programme tracks.",
        reason_template_zh="近一年脆弱家庭通報 {value} 件",
        reason_template_en="fragile-family reports in the last year: {value}",
        about_others=True,
        about_others_reason="A fragile-family report (兒少權益法 Art. 54) describes the household's circumstances (a parent's illness, substance use, imprisonment, poverty, violence between adults), i.e. other people; siblings share the same report.",
    ),
    Indicator(
        key="open_fragile_family_report",
        name_zh="脆弱家庭案件處理中",
        name_en="Fragile-family report still open",
        domain="welfare",
        source="welfare",
        definition="1 when a fragile-family report with a report date in the last 730 days has no closing date on or before the as-of date, else 0.",
        window="state on the as-of date (reports of the last 730 days)",
        why="An open fragile-family case means the family is receiving support now, which both signals strain and offers a partner for outreach.",
        reason_template_zh="脆弱家庭案件處理中：{value}",
        reason_template_en="a fragile-family report is still open: {value}",
        value_kind="flag",
        about_others=True,
        about_others_reason="It is the state of a report about the household, i.e. other people; siblings share it.",
    ),
    Indicator(
        key="household_low_income_status_now",
        name_zh="家戶目前具低收入戶資格",
        name_en="Household currently holds low-income status",
        domain="welfare",
        source="welfare",
        definition="1 when a low-income status (低收入戶) of the youth's household, known by the as-of date, is valid on the as-of date (a status without an end date lapses after 365 days), else 0.",
        window="state on the as-of date",
        why="Poverty strains families and narrows options, and low-income status opens specific assistance that outreach can connect the family to.",
        reason_template_zh="家戶目前具低收入戶資格：{value}",
        reason_template_en="household currently holds low-income status: {value}",
        value_kind="flag",
        about_others=True,
        about_others_reason=_HOUSEHOLD_REASON,
    ),
    Indicator(
        key="household_mid_low_income_status_now",
        name_zh="家戶目前具中低收入戶資格",
        name_en="Household currently holds mid-low-income status",
        domain="welfare",
        source="welfare",
        definition="1 when a mid-low-income status (中低收入戶) of the youth's household, known by the as-of date, is valid on the as-of date (a status without an end date lapses after 365 days), else 0.",
        window="state on the as-of date",
        why="Mid-low-income households are under economic strain without the full safety net of low-income status.",
        reason_template_zh="家戶目前具中低收入戶資格：{value}",
        reason_template_en="household currently holds mid-low-income status: {value}",
        value_kind="flag",
        about_others=True,
        about_others_reason=_HOUSEHOLD_REASON,
    ),
    Indicator(
        key="household_assistance_months_730d",
        name_zh="近兩年家戶具低收或中低收資格月數",
        name_en="Months the household held assistance status, last 730 days",
        domain="welfare",
        source="welfare",
        definition="Days in the last 730 days covered by a known low-income or mid-low-income status of the household, expressed in months (days × 24 / 730, at most 24).",
        window="730 days",
        why="Lasting hardship affects children more than a short spell; the window keeps an old status from counting forever.",
        reason_template_zh="近兩年家戶具福利身分 {value} 個月",
        reason_template_en="months the household held assistance status in the last two years: {value}",
        value_kind="months",
        about_others=True,
        about_others_reason=_HOUSEHOLD_REASON,
    ),
    # ---- history -----------------------------------------------------------------------------------------
    Indicator(
        key="cases_opened_730d",
        name_zh="近兩年開案次數",
        name_en="Cases opened, last 730 days",
        domain="history",
        source="casework",
        definition="Number of the youth's cases on this platform opened in the last 730 days (by the date opened).",
        window="730 days",
        why="Earlier cases show needs already judged serious enough to act on; note that this records the system's attention, not the youth's behaviour.",
        reason_template_zh="近兩年開案 {value} 次",
        reason_template_en="cases opened in the last two years: {value}",
        reads=("cases",),
    ),
    Indicator(
        key="open_case_now",
        name_zh="目前有進行中個案",
        name_en="A case is open now",
        domain="history",
        source="casework",
        definition="1 when a case opened on or before the as-of date is not closed on or before it, else 0.",
        window="state on the as-of date",
        why="A youth already in an open case is being reached; the score must be read together with that (and the triage queue can route to the case worker).",
        reason_template_zh="目前有進行中個案：{value}",
        reason_template_en="a case is open now: {value}",
        value_kind="flag",
        reads=("cases",),
    ),
    Indicator(
        key="cases_closed_365d",
        name_zh="近一年結案次數",
        name_en="Cases closed, last 365 days",
        domain="history",
        source="casework",
        definition="Number of the youth's cases closed in the last 365 days (by the date closed).",
        window="365 days",
        why="A closed case is followed for at least six months; the period after closure is when relapse is watched for.",
        reason_template_zh="近一年結案 {value} 次",
        reason_template_en="cases closed in the last year: {value}",
        reads=("cases",),
    ),
    Indicator(
        key="interventions_365d",
        name_zh="近一年處遇紀錄筆數",
        name_en="Interventions logged, last 365 days",
        domain="history",
        source="casework",
        definition="Number of interventions (home visits, counselling sessions, family meetings …) dated in the last 365 days and logged on or before the as-of date.",
        window="365 days",
        why="The intensity of recent work with the youth; it records the system's effort, so the model report must be read with that in mind.",
        reason_template_zh="近一年處遇紀錄 {value} 筆",
        reason_template_en="interventions logged in the last year: {value}",
        reads=("interventions",),
    ),
    Indicator(
        key="days_since_any_record",
        name_zh="距最近一筆本人紀錄天數",
        name_en="Days since the last record about the youth",
        domain="history",
        source="casework",
        definition="Days from the most recent event date on the youth's timeline (any kind except fragile-family reports and household assistance status) to the as-of date; 730 when there is none in the last 730 days.",
        window="capped at 730 days",
        why="Recency of any bureau record tells whether concerns are current or historical, so old records fade instead of flagging forever.",
        reason_template_zh="距最近一筆紀錄 {value} 天",
        reason_template_en="days since the last record about the youth: {value}",
        value_kind="days",
        reads=("education", "police", "welfare"),
    ),
    Indicator(
        key="bureaus_with_records_365d",
        name_zh="近一年有本人紀錄之局處數",
        name_en="Bureaus with records about the youth, last 365 days",
        domain="history",
        source="casework",
        definition="Number of bureaus (education, police, welfare) with at least one event about the youth dated in the last 365 days, not counting fragile-family reports and household assistance status.",
        window="365 days",
        why="Concerns seen by several bureaus at once are what horizontal integration (橫向整合) exists to bring together.",
        reason_template_zh="近一年有 {value} 個局處有紀錄",
        reason_template_en="bureaus with records about the youth in the last year: {value}",
        reads=("education", "police", "welfare"),
    ),
    Indicator(
        key="distinct_event_kinds_365d",
        name_zh="近一年本人紀錄類型數",
        name_en="Distinct kinds of record about the youth, last 365 days",
        domain="history",
        source="casework",
        definition="Number of distinct event kinds (absence, dropout report, campus incident, counselling, each kind of police contact, child-protection report …) about the youth dated in the last 365 days, not counting fragile-family reports and household assistance status.",
        window="365 days",
        why="Problems in several areas of life at once (co-occurring risk factors) predict worse outcomes than many records of one kind.",
        reason_template_zh="近一年紀錄涉及 {value} 種類型",
        reason_template_en="kinds of record about the youth in the last year: {value}",
        reads=("education", "police", "welfare"),
    ),
    Indicator(
        key="age_years",
        name_zh="年齡",
        name_en="Age in years",
        domain="history",
        source="casework",
        definition="The youth's age on the as-of date in years and completed months, as a decimal (15 years and 6 months is 15.5), from the birth date of the youth record.",
        window="on the as-of date",
        why="Rates of offending, dropout and child-protection reports change sharply between 12 and 17, and months matter: a youth who turns 18 within the year leaves the programme's scope before the year is out. Age is not a protected attribute here and is allowed, but the fairness audit reports scores by age too.",
        reason_template_zh="年齡 {value} 歲",
        reason_template_en="age: {value}",
        value_kind="years",
        reads=("identity",),
    ),
)

KEYS: tuple[str, ...] = tuple(i.key for i in CATALOGUE)
INDICATORS: dict[str, Indicator] = {i.key: i for i in CATALOGUE}
# Indicators about other people than the youth: the model report runs an ablation without them.
ABOUT_OTHERS: tuple[str, ...] = tuple(i.key for i in CATALOGUE if i.about_others)


# ---- labels -------------------------------------------------------------------------------------------------

# variant -> the event kinds that are adverse outcomes (child-protection reports only when substantiated)
LABEL_VARIANTS: dict[str, tuple[str, ...]] = {
    "default": ("police_offence", "police_exposure", "dropout_reported", "child_protection"),
    "police_only": ("police_offence", "police_exposure"),
    "dropout_only": ("dropout_reported",),
    "protection_only": ("child_protection",),
}
LABEL_DESCRIPTIONS = {
    "default": "a police contact of kind offence or exposure, a new dropout report, or a substantiated child-protection report",
    "police_only": "a police contact of kind offence or exposure",
    "dropout_only": "a new dropout report",
    "protection_only": "a substantiated child-protection report",
}


# ---- computation ----------------------------------------------------------------------------------------------

_NONE = np.int64(1 << 40)  # "no date": after any as-of date
_NEVER = np.int64(-(1 << 40))  # "no event": before any as-of date
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_TIER = re.compile(r"(\d+)")
_LEVELS = {"high": 3, "medium": 2, "low": 1}
_POLICE_KINDS = ("police_offence", "police_exposure", "police_deviant", "police_missing")


@dataclass
class _Rows:
    """Events (or other dated rows) as arrays, sorted by youth position, then date."""

    y: np.ndarray  # position of the youth in the population
    ed: np.ndarray  # event date (ordinal)
    kd: np.ndarray  # knowledge date (ordinal)
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def build(cls, y, ed, kd, **extra) -> _Rows:
        y, ed, kd = (np.asarray(a, dtype=np.int64) for a in (y, ed, kd))
        order = np.lexsort((kd, ed, y))
        return cls(y[order], ed[order], kd[order], {k: np.asarray(v)[order] for k, v in extra.items()})

    def __getattr__(self, name: str) -> np.ndarray:
        try:
            return self.__dict__["extra"][name]
        except KeyError:
            raise AttributeError(name) from None

    def take(self, selector: np.ndarray) -> _Rows:
        return _Rows(self.y[selector], self.ed[selector], self.kd[selector],
                     {k: v[selector] for k, v in self.extra.items()})  # fmt: skip

    def known(self, d: int) -> np.ndarray:
        """Rows known on day ``d`` (and dated on or before it)."""
        return (self.kd <= d) & (self.ed <= d)

    def __len__(self) -> int:
        return len(self.y)


@dataclass
class _Loaded:
    ids: np.ndarray  # youth ids, sorted; position = index
    birth_md: np.ndarray  # month * 100 + day of the birth date
    birth_year: np.ndarray
    rows: dict[str, _Rows]
    n_events: int
    # Absences of the whole feed per (event month, knowledge month): (event month, knowledge month, count)
    # as ordinals, so the start of the feed can be found as of any date (see ``_feed_start``).
    absence_volume: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @property
    def n(self) -> int:
        return len(self.ids)


def _to_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _as_of_dates(as_of) -> list[dt.date]:
    values = [as_of] if isinstance(as_of, (dt.date, str)) else list(as_of)
    return sorted({_to_date(v) for v in values})


def _ordinals(values: Sequence) -> np.ndarray:
    return np.fromiter(
        (_NONE if v is None else v.toordinal() for v in values), dtype=np.int64, count=len(values)
    )


def _text_ordinals(values: Sequence) -> np.ndarray:
    """ISO dates held as text in event details; blank or unreadable means no date."""
    out = np.full(len(values), _NONE, dtype=np.int64)
    for i, v in enumerate(values):
        if v:
            with contextlib.suppress(ValueError):
                out[i] = dt.date.fromisoformat(str(v)[:10]).toordinal()
    return out


def _truthy(value) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1", "t", "y")


def _population(days: list[int], youth_ids: Iterable[int] | None):
    """Unmerged youth with a birth date who can be aged 12-17 on one of the days (a superset)."""
    from casework.models import Youth

    youth = Youth.objects.filter(
        merged_into__isnull=True,
        birth_date__isnull=False,
        birth_date__gt=dt.date.fromordinal(min(days) - 366 * (MAX_AGE + 1)),
        birth_date__lte=dt.date.fromordinal(max(days) - 365 * MIN_AGE),
    )
    if youth_ids is not None:
        youth = youth.filter(pk__in=list(youth_ids))
    return youth


def _load_population(youth) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Youth ids (sorted), and the month-day and year of their birth dates."""
    rows = sorted(youth.values_list("id", "birth_date"))
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    births = [r[1] for r in rows]
    return (
        ids,
        np.fromiter((b.month * 100 + b.day for b in births), dtype=np.int64, count=len(rows)),
        np.fromiter((b.year for b in births), dtype=np.int64, count=len(rows)),
    )


def _positions(ids: np.ndarray, youth_ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Positions of ``youth_ids`` in the sorted ``ids``, and which of them are in the population."""
    ys = np.fromiter(youth_ids, dtype=np.int64, count=len(youth_ids))
    pos = np.searchsorted(ids, ys).clip(0, max(len(ids) - 1, 0))
    ok = (ids[pos] == ys) if len(ids) else np.zeros(len(ys), dtype=bool)
    return pos, ok


def _of_youth(queryset, youth_ids: list[int] | None, field: str = "youth_id"):
    """Rows of these youth, unordered. Without a list, every row: rows of youth outside the population are
    dropped after reading, which is much cheaper than a join over the whole timeline."""
    if youth_ids is not None:
        queryset = queryset.filter(**{f"{field}__in": youth_ids})
    return queryset.order_by()


def _load(days: list[int], youth_ids: Iterable[int] | None) -> _Loaded:
    """Read everything the indicators need for these as-of days, once, into arrays."""
    from django.db.models import Count, Q
    from django.db.models.fields.json import KT
    from django.db.models.functions import TruncDate, TruncMonth

    from casework.models import Case, Enrollment, Event, EventKind, Intervention

    youth_ids = None if youth_ids is None else sorted(set(youth_ids))
    ids, birth_md, birth_year = _load_population(_population(days, youth_ids))
    first, last = min(days), max(days)
    # Sealed events are hidden by the default manager; never use Event.all_objects here.
    events = _of_youth(
        Event.objects.filter(
            Q(event_date__gt=dt.date.fromordinal(first - LOOKBACK_DAYS))
            | Q(kind=EventKind.ABSENCE, event_date__gt=dt.date.fromordinal(first - RATE_LOOKBACK_DAYS))
            | Q(kind=EventKind.ASSISTANCE_STATUS),
            knowledge_date__lte=dt.date.fromordinal(last),
        ),
        youth_ids,
    )
    rows: dict[str, _Rows] = {}

    # Absences are most of the timeline: four plain columns, no details.
    a = list(
        events.filter(kind=EventKind.ABSENCE).values_list("youth_id", "code", "event_date", "knowledge_date")
    )
    n_events = len(a)
    y, ok = _positions(ids, [r[0] for r in a])
    code = np.fromiter(
        (1 if r[1] == "unexcused" else 2 if r[1] == "excused" else 0 for r in a), dtype=np.int8, count=len(a)
    )
    absences = _Rows.build(y[ok], _ordinals([r[2] for r in a])[ok], _ordinals([r[3] for r in a])[ok],
                           code=code[ok])  # fmt: skip
    del a
    # The same day reported twice counts once, from the first day it was known.
    order = np.lexsort((absences.kd, absences.ed, absences.code, absences.y))
    absences = absences.take(order)
    first_of_day = np.ones(len(absences), dtype=bool)
    first_of_day[1:] = (
        (absences.y[1:] != absences.y[:-1])
        | (absences.code[1:] != absences.code[:-1])
        | (absences.ed[1:] != absences.ed[:-1])
    )
    absences = absences.take(first_of_day)
    rows["absence"] = absences.take(np.lexsort((absences.ed, absences.y)))
    for name, value in (("unexcused", 1), ("excused", 2)):
        sub = absences.take(absences.code == value)  # already sorted by youth, then day
        # Consecutive school days: the business-day index goes up by one (Friday to Monday included).
        sub.extra["bday"] = np.busday_count(
            np.datetime64("1970-01-01"), (sub.ed - _EPOCH_ORDINAL).astype("datetime64[D]")
        )
        rows[name] = sub

    other = list(
        events.exclude(kind=EventKind.ABSENCE).values_list(
            "youth_id",
            "kind",
            "code",
            "event_date",
            "knowledge_date",
            KT("details__severity"),
            KT("details__level"),
            KT("details__substantiated"),
            KT("details__closed_on"),
            KT("details__ended_on"),
            KT("details__valid_to"),
        )
    )
    n_events += len(other)
    by_kind: dict[str, list[tuple]] = {}
    for r in other:
        by_kind.setdefault(r[1], []).append(r)
    del other

    def build(kind: str, /, **extra) -> _Rows:
        rs = by_kind.get(kind, [])
        y, ok = _positions(ids, [r[0] for r in rs])
        cols = {k: np.asarray(f(rs))[ok] for k, f in extra.items()}
        return _Rows.build(
            y[ok], _ordinals([r[3] for r in rs])[ok], _ordinals([r[4] for r in rs])[ok], **cols
        )

    for kind in ("dropout_reported", "dropout_returned"):
        rows[kind] = build(kind)
    rows["campus_incident"] = build(
        "campus_incident",
        serious=lambda rs: np.array([(r[5] or "") in SERIOUS_INCIDENT_SEVERITIES for r in rs], dtype=bool),
    )

    def tier(code: str) -> int:
        m = _TIER.search(code or "")
        return int(m.group(1)) if m else 0

    rows["counselling_tier"] = build(
        "counselling_tier",
        tier=lambda rs: np.array([tier(r[2]) for r in rs], dtype=np.float64),
        ended=lambda rs: _text_ordinals([r[9] for r in rs]),
    )
    by_kind["police"] = [r for k in _POLICE_KINDS for r in by_kind.get(k, [])]
    police = build(
        "police",
        kind=lambda rs: np.array([_POLICE_KINDS.index(r[1]) for r in rs], dtype=np.int8),
        code_name=lambda rs: np.array([r[2] or "" for r in rs], dtype=object),
    )
    _, police.extra["code"] = np.unique(police.code_name.astype(str), return_inverse=True)
    police.extra["has_code"] = police.code_name != ""
    for code in HIGH_CONCERN_CODES:
        police.extra[f"is_{code}"] = police.code_name == code
    rows["police"] = police
    for kind in ("child_protection", "fragile_family"):
        rows[kind] = build(
            kind,
            level=lambda rs: np.array([_LEVELS.get((r[6] or "").lower(), 0) for r in rs], dtype=np.float64),
            substantiated=lambda rs: np.array([_truthy(r[7]) for r in rs], dtype=bool),
            closed=lambda rs: _text_ordinals([r[8] for r in rs]),
        )
    assistance = build(
        "assistance_status",
        status=lambda rs: np.array([r[2] or "" for r in rs], dtype=object),
        valid_to=lambda rs: _text_ordinals([r[10] for r in rs]),
    )
    assistance.extra["end"] = np.where(
        assistance.valid_to == _NONE, assistance.ed + ASSISTANCE_DEFAULT_DAYS - 1, assistance.valid_to
    )
    rows["assistance_status"] = assistance

    # Casework: a case counts from the day it was opened, an intervention from the day it was logged.
    cases = list(
        _of_youth(Case.objects.all(), youth_ids).values_list(
            "youth_id", TruncDate("opened_at"), TruncDate("closed_at")
        )
    )
    y, ok = _positions(ids, [r[0] for r in cases])
    opened = _ordinals([r[1] for r in cases])[ok]
    rows["case"] = _Rows.build(y[ok], opened, opened, closed=_ordinals([r[2] for r in cases])[ok])
    interventions = list(
        _of_youth(Intervention.objects.all(), youth_ids, "case__youth_id").values_list(
            "case__youth_id", "occurred_on", TruncDate("created_at")
        )
    )
    y, ok = _positions(ids, [r[0] for r in interventions])
    rows["intervention"] = _Rows.build(
        y[ok], _ordinals([r[1] for r in interventions])[ok], _ordinals([r[2] for r in interventions])[ok]
    )
    # Rosters carry no knowledge date: an enrolment is taken as known from the day it began.
    enrolments = list(
        _of_youth(Enrollment.objects.filter(enrolled_on__isnull=False), youth_ids).values_list(
            "youth_id", "enrolled_on"
        )
    )
    y, ok = _positions(ids, [r[0] for r in enrolments])
    (m0, d0), (m1, d1) = SCHOOL_YEAR_START
    mid_year = np.array(
        [not ((m0, d0) <= (r[1].month, r[1].day) <= (m1, d1)) for r in enrolments], dtype=bool
    )
    began = _ordinals([r[1] for r in enrolments])[ok]
    rows["enrolment"] = _Rows.build(y[ok], began, began, mid_year=mid_year[ok])
    # The volume of the whole absence feed (every youth, whichever were asked for), to find where it starts.
    volume = list(
        Event.objects.filter(kind=EventKind.ABSENCE, knowledge_date__lte=dt.date.fromordinal(last))
        .annotate(em=TruncMonth("event_date"), km=TruncMonth("knowledge_date"))
        .values_list("em", "km")
        .annotate(n=Count("id"))
        .order_by()
    )
    absence_volume = (
        _ordinals([_to_date(v[0]) for v in volume]),
        _ordinals([_to_date(v[1]) for v in volume]),
        np.fromiter((v[2] for v in volume), dtype=np.int64, count=len(volume)),
    )
    return _Loaded(ids, birth_md, birth_year, rows, n_events, absence_volume)


def _feed_start(data: _Loaded, day: dt.date) -> int:
    """The first day of the absence feed as known on ``day`` (an ordinal): the first event month with at
    least a quarter of the median monthly volume, counting only absences learnt of in a month before
    ``day``'s, so a few back-dated rows do not make a history. After ``day`` when there is none."""
    if data.absence_volume is None or not len(data.absence_volume[0]):
        return day.toordinal() + 1
    em, km, n = data.absence_volume
    known = km < day.replace(day=1).toordinal()
    if not known.any():
        return day.toordinal() + 1
    months, inverse = np.unique(em[known], return_inverse=True)
    per_month = np.bincount(inverse, weights=n[known])
    first = np.flatnonzero(per_month >= 0.25 * np.median(per_month))[0]
    return int(months[first])


def _school_day_counts(lo: int, hi: int) -> np.ndarray:
    """Cumulative number of school days (term weekdays, ``SCHOOL_TERMS``): ``out[i]`` counts the school days in
    ``[lo, lo + i)``, for i in 0 .. hi - lo + 1."""
    ordinals = np.arange(lo, hi + 1)
    days = (ordinals - _EPOCH_ORDINAL).astype("datetime64[D]")
    month_start = days.astype("datetime64[M]")
    md = (
        (month_start.astype(np.int64) % 12 + 1) * 100
        + (days - month_start.astype("datetime64[D]")).astype(np.int64)
        + 1
    )
    in_term = np.zeros(len(ordinals), dtype=bool)
    for (m0, d0), (m1, d1) in SCHOOL_TERMS:
        a, b = m0 * 100 + d0, m1 * 100 + d1
        in_term |= ((md >= a) & (md <= b)) if a <= b else ((md >= a) | (md <= b))
    weekday = (ordinals - 1) % 7  # date.fromordinal(1) is a Monday
    return np.concatenate([[0], np.cumsum(in_term & (weekday < 5))])


def _ages(data: _Loaded, day: dt.date) -> np.ndarray:
    return day.year - data.birth_year - ((day.month * 100 + day.day) < data.birth_md)


def _age_months(data: _Loaded, day: dt.date) -> np.ndarray:
    """Completed months of age on ``day``."""
    month, dom = data.birth_md // 100, data.birth_md % 100
    return (day.year - data.birth_year) * 12 + (day.month - month) - (day.day < dom)


def _features_at(day: dt.date, data: _Loaded) -> dict[str, np.ndarray]:
    """Every indicator for every youth of the population, as of one day."""
    d = day.toordinal()
    n = data.n
    r = data.rows

    def count(rows: _Rows, mask: np.ndarray) -> np.ndarray:
        return np.bincount(rows.y[mask], minlength=n).astype(np.float64)

    def weighted(rows: _Rows, mask: np.ndarray, half_life: float) -> np.ndarray:
        w = 0.5 ** ((d - rows.ed[mask]) / half_life)
        return np.bincount(rows.y[mask], weights=w, minlength=n)

    def highest(rows: _Rows, mask: np.ndarray, values: np.ndarray, empty=0.0) -> np.ndarray:
        out = np.full(n, empty, dtype=values.dtype if values.dtype.kind == "i" else np.float64)
        np.maximum.at(out, rows.y[mask], values[mask])
        return out

    def last_date(rows: _Rows, mask: np.ndarray) -> np.ndarray:
        return highest(rows, mask, rows.ed, empty=_NEVER)

    def days_since(last: np.ndarray) -> np.ndarray:
        return np.where(last > d - LOOKBACK_DAYS, d - last, LOOKBACK_DAYS).astype(np.float64)

    def within(rows: _Rows, days: int) -> np.ndarray:
        return rows.ed > d - days

    f: dict[str, np.ndarray] = {}
    last_own = np.full(n, _NEVER, dtype=np.int64)
    kinds_365 = np.zeros(n)
    bureaus = {"school": np.zeros(n, dtype=bool), "police": np.zeros(n, dtype=bool),
               "welfare": np.zeros(n, dtype=bool)}  # fmt: skip

    def own(rows: _Rows, known: np.ndarray, bureau: str, kind_mask: np.ndarray | None = None) -> None:
        """Fold one kind of the youth's own records into the history aggregates."""
        nonlocal last_own, kinds_365
        mask = known if kind_mask is None else known & kind_mask
        np.maximum(last_own, last_date(rows, mask), out=last_own)
        present = count(rows, mask & within(rows, 365)) > 0
        kinds_365 = kinds_365 + present
        bureaus[bureau] |= present

    # ---- school
    u = r["unexcused"]
    ku = u.known(d)
    for days in (30, 90):
        f[f"unexcused_absence_days_{days}d"] = count(u, ku & within(u, days))
    # Per school day over three years, from the later of the first known enrolment and the feed's start.
    s = r["enrolment"]
    ks = s.known(d)
    begin = np.full(n, d + 1, dtype=np.int64)
    np.minimum.at(begin, s.y[ks], s.ed[ks])
    begin = np.maximum(begin, max(_feed_start(data, day), d - RATE_LOOKBACK_DAYS + 1))
    lo = d - RATE_LOOKBACK_DAYS + 1
    school_days = _school_day_counts(lo, d)
    exposure = (school_days[-1] - school_days[np.clip(begin, lo, d + 1) - lo]).astype(np.float64)
    f["unexcused_absence_rate_1095d"] = (
        100
        * (count(u, ku & within(u, RATE_LOOKBACK_DAYS)) + RATE_PRIOR * RATE_PRIOR_DAYS)
        / (exposure + RATE_PRIOR_DAYS)
    )
    e = r["excused"]
    f["excused_absence_days_90d"] = count(e, e.known(d) & within(e, 90))
    f["longest_unexcused_run_365d"] = _longest_run(u, ku & within(u, 365), n)
    a = r["absence"]
    own(a, a.known(d), "school")

    rep, ret = r["dropout_reported"], r["dropout_returned"]
    kr = rep.known(d) & within(rep, LOOKBACK_DAYS)
    last_report = last_date(rep, kr)
    last_return = last_date(ret, ret.known(d))
    f["dropout_reports_365d"] = count(rep, kr & within(rep, 365))
    f["days_since_dropout_report"] = days_since(last_report)
    f["in_dropout_now"] = ((last_report > _NEVER) & (last_return < last_report)).astype(np.float64)
    own(rep, kr, "school")
    own(ret, ret.known(d), "school")

    inc = r["campus_incident"]
    ki = inc.known(d)
    f["campus_incidents_90d"] = count(inc, ki & within(inc, 90))
    f["serious_campus_incidents_365d"] = count(inc, ki & within(inc, 365) & inc.serious)
    own(inc, ki, "school")

    c = r["counselling_tier"]
    kc = c.known(d) & within(c, LOOKBACK_DAYS)
    f["counselling_tier_now"] = highest(c, kc & (c.ended >= d), c.tier)
    f["counselling_tier_max_365d"] = highest(c, kc & (c.ended > d - 365), c.tier)
    own(c, kc, "school")

    s = r["enrolment"]
    ks = s.known(d) & s.mid_year
    for days in (365, 730):
        f[f"school_changes_{days}d"] = count(s, ks & within(s, days))

    # ---- police
    p = r["police"]
    kp = p.known(d) & within(p, LOOKBACK_DAYS)
    p365 = kp & within(p, 365)
    offence, exposure, deviant, missing = (p.kind == i for i in range(4))
    f["police_offence_contacts_180d"] = count(p, kp & offence & within(p, 180))
    f["police_offence_contacts_365d"] = count(p, p365 & offence)
    f["police_exposure_contacts_365d"] = count(p, p365 & exposure)
    f["police_deviant_contacts_365d"] = count(p, p365 & deviant)
    f["police_missing_searches_365d"] = count(p, p365 & missing)
    f["police_offence_exposure_decayed"] = weighted(p, kp & (offence | exposure), 180.0)
    f["police_deviant_decayed"] = weighted(p, p365 & deviant, 90.0)
    f["days_since_police_contact"] = days_since(last_date(p, kp))
    coded = p365 & p.has_code
    pairs = np.unique(p.y[coded] * (int(p.code.max(initial=0)) + 1) + p.code[coded])
    f["distinct_police_codes_365d"] = np.bincount(
        pairs // (int(p.code.max(initial=0)) + 1), minlength=n
    ).astype(np.float64)
    f["fraud_mule_contacts_365d"] = count(p, p365 & p.is_fraud_mule)
    f["drug_contacts_365d"] = count(p, p365 & p.is_drugs)
    f["weapon_contacts_365d"] = count(p, p365 & p.is_weapon)
    for i in range(4):
        own(p, kp, "police", p.kind == i)

    # ---- welfare
    cp = r["child_protection"]
    kcp = cp.known(d) & within(cp, LOOKBACK_DAYS)
    cp365 = kcp & within(cp, 365)
    f["child_protection_reports_365d"] = count(cp, cp365)
    f["substantiated_child_protection_365d"] = count(
        cp, cp365 & cp.substantiated & (cp.ed <= d - SUBSTANTIATION_LAG_DAYS)
    )
    f["child_protection_level_max_365d"] = highest(cp, cp365, cp.level)
    f["days_since_child_protection_report"] = days_since(last_date(cp, kcp))
    f["open_child_protection_report"] = (count(cp, kcp & (cp.closed > d)) > 0).astype(np.float64)
    own(cp, kcp, "welfare")

    ff = r["fragile_family"]
    kff = ff.known(d) & within(ff, LOOKBACK_DAYS)
    f["fragile_family_reports_365d"] = count(ff, kff & within(ff, 365))
    f["open_fragile_family_report"] = (count(ff, kff & (ff.closed > d)) > 0).astype(np.float64)

    h = r["assistance_status"]
    kh = h.known(d)
    valid_now = kh & (h.end >= d)
    f["household_low_income_status_now"] = (count(h, valid_now & (h.status == "low_income")) > 0).astype(
        np.float64
    )
    f["household_mid_low_income_status_now"] = (
        count(h, valid_now & (h.status == "mid_low_income")) > 0
    ).astype(np.float64)
    covered = (np.minimum(h.end, d) - np.maximum(h.ed, d - LOOKBACK_DAYS + 1) + 1).clip(0)
    days_covered = np.bincount(h.y[kh], weights=covered[kh], minlength=n).clip(0, LOOKBACK_DAYS)
    f["household_assistance_months_730d"] = days_covered * 24 / LOOKBACK_DAYS

    # ---- history
    k = r["case"]
    kk = k.known(d)
    f["cases_opened_730d"] = count(k, kk & within(k, LOOKBACK_DAYS))
    f["open_case_now"] = (count(k, kk & (k.closed > d)) > 0).astype(np.float64)
    f["cases_closed_365d"] = count(k, kk & (k.closed <= d) & (k.closed > d - 365))
    iv = r["intervention"]
    f["interventions_365d"] = count(iv, iv.known(d) & within(iv, 365))
    f["days_since_any_record"] = days_since(last_own)
    f["bureaus_with_records_365d"] = sum(b.astype(np.float64) for b in bureaus.values())
    f["distinct_event_kinds_365d"] = kinds_365
    f["age_years"] = _age_months(data, day) / 12.0
    return f


def _longest_run(rows: _Rows, mask: np.ndarray, n: int) -> np.ndarray:
    """Longest run of consecutive school days per youth among the masked rows (sorted by youth, day)."""
    out = np.zeros(n)
    idx = np.flatnonzero(mask)
    if not idx.size:
        return out
    y, b = rows.y[idx], rows.bday[idx]
    new = np.ones(idx.size, dtype=bool)
    new[1:] = (y[1:] != y[:-1]) | (b[1:] - b[:-1] > 1)
    starts = np.flatnonzero(new)
    lengths = np.diff(np.append(starts, idx.size)).astype(np.float64)
    np.maximum.at(out, y[starts], lengths)
    return out


def _compute_loaded(data: _Loaded, dates: list[dt.date]) -> pd.DataFrame:
    ids, as_of, columns = [], [], {key: [] for key in KEYS}
    for day in dates:
        ages = _ages(data, day)
        sel = np.flatnonzero((ages >= MIN_AGE) & (ages <= MAX_AGE))
        values = _features_at(day, data)
        if set(values) != set(KEYS):
            raise AssertionError(f"indicators computed differ from the catalogue: {set(values) ^ set(KEYS)}")
        ids.append(data.ids[sel])
        as_of.append(np.full(sel.size, day, dtype=object))
        for key in KEYS:
            columns[key].append(values[key][sel])
    frame = pd.DataFrame(
        {
            "youth_id": np.concatenate(ids) if ids else np.empty(0, dtype=np.int64),
            "as_of": np.concatenate(as_of) if as_of else np.empty(0, dtype=object),
            **{k: (np.concatenate(v) if v else np.empty(0)).astype(np.float64) for k, v in columns.items()},
        }
    )
    return frame.reset_index(drop=True)


def compute(as_of: dt.date | Sequence[dt.date], youth_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """The 44 indicators, one row per (youth, as-of date) for youth aged 12-17 on that date.

    Columns: ``youth_id``, ``as_of`` (a ``datetime.date``), then the indicators in catalogue order, all
    float. Merged youth records and youth without a birth date are left out. Rows are ordered by as-of date,
    then youth id. Everything is read once and every as-of date is computed in vectorised passes.
    """
    dates = _as_of_dates(as_of)
    if not dates:
        return _compute_loaded(_Loaded(*(np.empty(0, dtype=np.int64),) * 3, {}, 0), [])
    data = _load([day.toordinal() for day in dates], youth_ids)
    return _compute_loaded(data, dates)


def label(
    as_of: dt.date | Sequence[dt.date],
    youth_ids: Iterable[int] | None = None,
    horizon_days: int = 365,
    variant: str = "default",
) -> pd.Series:
    """1 when an adverse outcome happens in ``(D, D + horizon_days]`` by EVENT date, else 0.

    Looks into the future on purpose and ignores knowledge dates: an outcome that happened in the horizon
    counts however late the bureau learned of it (check :func:`label_window_complete`). Sealed events do
    not count. The default outcome is a police contact of kind offence or exposure, a new dropout report
    or a substantiated child-protection report; variants ``police_only``, ``dropout_only`` and
    ``protection_only`` keep one of them. Indexed by (youth_id, as_of) over the same youth as
    :func:`compute`, in the same order.
    """
    from django.db.models import Q

    from casework.models import Event, EventKind

    if variant not in LABEL_VARIANTS:
        raise ValueError(f"unknown label variant {variant!r}; choose from {sorted(LABEL_VARIANTS)}")
    dates = _as_of_dates(as_of)
    index_names = ["youth_id", "as_of"]
    name = f"label_{variant}"
    if not dates:
        return pd.Series([], dtype=np.int64, name=name,
                         index=pd.MultiIndex.from_arrays([[], []], names=index_names))  # fmt: skip
    days = [day.toordinal() for day in dates]
    youth_ids = None if youth_ids is None else sorted(set(youth_ids))
    ids, birth_md, birth_year = _load_population(_population(days, youth_ids))
    kinds = LABEL_VARIANTS[variant]
    wanted = Q(kind__in=[k for k in kinds if k != EventKind.CHILD_PROTECTION])
    if EventKind.CHILD_PROTECTION in kinds:
        wanted |= Q(kind=EventKind.CHILD_PROTECTION, details__substantiated=True)
    found = list(
        _of_youth(
            Event.objects.filter(
                wanted,
                event_date__gt=dt.date.fromordinal(min(days)),
                event_date__lte=dt.date.fromordinal(max(days) + horizon_days),
            ),
            youth_ids,
        ).values_list("youth_id", "event_date")
    )
    pos, ok = _positions(ids, [r[0] for r in found])
    outcomes = _Rows.build(
        pos[ok], _ordinals([r[1] for r in found])[ok], _ordinals([r[1] for r in found])[ok]
    )
    data = _Loaded(ids, birth_md, birth_year, {}, 0)
    out_ids, out_dates, values = [], [], []
    for day, d in zip(dates, days, strict=True):
        ages = _ages(data, day)
        sel = np.flatnonzero((ages >= MIN_AGE) & (ages <= MAX_AGE))
        inside = (outcomes.ed > d) & (outcomes.ed <= d + horizon_days)
        hit = np.bincount(outcomes.y[inside], minlength=len(ids)) > 0
        out_ids.append(ids[sel])
        out_dates.append(np.full(sel.size, day, dtype=object))
        values.append(hit[sel].astype(np.int64))
    index = pd.MultiIndex.from_arrays([np.concatenate(out_ids), np.concatenate(out_dates)], names=index_names)
    return pd.Series(np.concatenate(values), index=index, name=name)


def label_window_complete(
    as_of: dt.date | Sequence[dt.date], data_end: dt.date, horizon_days: int = 365
) -> bool | list[bool]:
    """Whether the label's horizon ``(D, D + horizon_days]`` ends on or before ``data_end`` (the last day
    the data covers), so that the outcome is fully observable. A list of dates gives a list of answers."""
    end = _to_date(data_end)
    if isinstance(as_of, (dt.date, str)):
        return _to_date(as_of) + dt.timedelta(days=horizon_days) <= end
    return [_to_date(a) + dt.timedelta(days=horizon_days) <= end for a in as_of]


# ---- documentation ---------------------------------------------------------------------------------------------


def render_markdown() -> str:
    """``docs/indicators.md``, generated from the catalogue (a test keeps the committed file in step)."""
    counts = {dom: sum(i.domain == dom for i in CATALOGUE) for dom in DOMAINS}
    lines = [
        "# Risk indicators",
        "",
        "<!-- Generated by `python -m riskmodel.indicators` from `riskmodel/indicators.py`; do not edit. -->",
        "",
        f"The risk model uses {len(CATALOGUE)} indicators: "
        + ", ".join(f"{counts[dom]} {dom}" for dom in DOMAINS)
        + ". Code: `riskmodel/indicators.py` (`CATALOGUE`, `compute`, `label`).",
        "",
        "## Rules",
        "",
        "- **As of a date D, only what was known on D.** An event counts only when its knowledge date (the day "
        "the bureau learned of it) is on or before D. Windows are then measured on the event date: "
        '"the last 90 days" means an event date in (D − 90, D], so an event exactly 90 days before D does '
        "not count and one on D does. Cases count from the day they were opened, interventions from the day "
        "they were logged, enrolments from the day they began (rosters carry no knowledge date).",
        "- **Sealed records count as never made**: they are read through `Event.objects`, which hides them.",
        f"- **Who**: youth aged {MIN_AGE}–{MAX_AGE} in completed years on D, with a birth date, whose record "
        "was not merged into another.",
        f"- **Nothing older than {LOOKBACK_DAYS} days** is used (windowed counts and time-decayed sums, no "
        f'"ever" flags); "days since" indicators are capped at {LOOKBACK_DAYS}. The exceptions are the rate '
        f"of unexcused absence per school day, which looks back {RATE_LOOKBACK_DAYS} days (absence is a "
        "lasting trait, and a rate over more school days measures it better), and a household assistance "
        "status still valid on D.",
        "- **School days** are term weekdays (30 August to 20 January, 11 February to 30 June). A rate per "
        "school day counts them from the later of the youth's first known enrolment and the start of the "
        "absence feed as known on D (the first month with a quarter of the median monthly volume, among "
        "absences learnt of before D's month).",
        f"- **Substantiation** of a child-protection report counts only once the report is "
        f"{SUBSTANTIATION_LAG_DAYS} days old: the timeline holds the latest version of a report, not the day "
        "it was found substantiated.",
        f"- **Assistance status** without an end date lapses {ASSISTANCE_DEFAULT_DAYS} days after it began.",
        "- **Protected attributes are not indicators**: "
        + ", ".join(f"`{p}`" for p in PROTECTED_ATTRIBUTES)
        + " are kept for the fairness audit only. Age is an indicator (`age_years`): it is not protected "
        "here, and the fairness audit reports by age too.",
        "- Absences: one day counts once per kind, however many times it was reported. Closing dates, "
        "end dates of counselling and return dates are compared with D, so a report closed after D is "
        "open on D.",
        "",
        "## Indicators about other people",
        "",
        "These describe the household rather than the youth. They are kept (they point to support the family "
        "can be offered) but listed in `ABOUT_OTHERS`, and every model report runs an ablation without them.",
        "",
        "| key | reason |",
        "|---|---|",
        *(f"| `{i.key}` | {i.about_others_reason} |" for i in CATALOGUE if i.about_others),
        "",
        "## Catalogue",
        "",
    ]
    for dom in DOMAINS:
        lines += [f"### {dom} ({counts[dom]})", ""]
        for i in (i for i in CATALOGUE if i.domain == dom):
            lines += [
                f"#### `{i.key}` · {i.name_zh} · {i.name_en}",
                "",
                f"- **Definition**: {i.definition}",
                f"- **Window**: {i.window}",
                f"- **Source**: {i.source} · **value**: {i.value_kind}"
                + (" · **about others**" if i.about_others else ""),
                f"- **Why**: {i.why}",
                f"- **Reason shown**: {i.reason_template_zh} / {i.reason_template_en}",
                "",
            ]
    lines += [
        "## Labels",
        "",
        '`label(as_of, youth_ids=None, horizon_days=365, variant="default")` is 1 when an adverse outcome '
        "has an EVENT date in (D, D + 365 days], whenever it became known (labels look into the future on "
        "purpose; features never do). Sealed events do not count. `label_window_complete(as_of, data_end)` "
        "tells whether the horizon ends within the data.",
        "",
        "| variant | adverse outcome |",
        "|---|---|",
        *(f"| `{v}` | {LABEL_DESCRIPTIONS[v]} |" for v in LABEL_VARIANTS),
        "",
        "Labels record what the bureaus did (a police record, a school report, a welfare finding) and so carry "
        "the bias of who gets watched; read them with the fairness audit.",
        "",
    ]
    return "\n".join(lines)


def write_docs(path: Path = DOC_PATH) -> Path:
    path.write_text(render_markdown(), encoding="utf-8")
    return path


# ---- benchmark ---------------------------------------------------------------------------------------------------


def bench(months: int = 24, end: dt.date | None = None, youth_ids: Iterable[int] | None = None) -> dict:
    """Time :func:`compute` over ``months`` monthly as-of dates ending at ``end`` (default: the first of the
    month of the latest knowledge date in the database) and print the figures."""
    from django.db.models import Max

    from casework.models import Event

    if end is None:
        latest = Event.objects.aggregate(m=Max("knowledge_date"))["m"] or dt.date.today()
        end = latest.replace(day=1)
    dates = []
    year, month = end.year, end.month
    for _ in range(months):
        dates.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    dates.sort()
    t0 = time.perf_counter()
    data = _load([d.toordinal() for d in dates], youth_ids)
    t1 = time.perf_counter()
    frame = _compute_loaded(data, dates)
    t2 = time.perf_counter()
    figures = {
        "as_of_dates": len(dates),
        "first": dates[0].isoformat(),
        "last": dates[-1].isoformat(),
        "youth_loaded": int(data.n),
        "events_loaded": int(data.n_events),
        "rows": len(frame),
        "load_s": round(t1 - t0, 2),
        "compute_s": round(t2 - t1, 2),
        "total_s": round(t2 - t0, 2),
    }
    print(
        f"indicators: {figures['rows']:,} rows × {len(KEYS)} indicators for {len(dates)} as-of dates "
        f"({figures['first']} … {figures['last']}), {figures['youth_loaded']:,} youth, "
        f"{figures['events_loaded']:,} events: load {figures['load_s']} s + compute {figures['compute_s']} s "
        f"= {figures['total_s']} s"
    )
    return figures


if __name__ == "__main__":
    print(f"wrote {write_docs()}")
