"""The indicator catalogue: 44 documented features (what each reads, its window, why it is there), the
protected attributes kept for the fairness audit only, and the label variants. Plain data, importable
without Django."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

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

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "indicators.md"


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
