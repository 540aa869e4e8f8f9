"""The people of the synthetic city: districts, households, youth, schools and enrolment spells."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np

from integrations.synthetic import dates
from integrations.synthetic.names import NamePools, canonical_romanisation
from integrations.synthetic.national_id import BIRTH_LETTER_P, BIRTH_LETTERS, make_ids


@dataclass(frozen=True)
class District:
    """One district of the Taoyuan-like city and the parameters the generator gives it."""

    name: str
    population_share: float
    indigenous_share: float
    new_immigrant_share: float
    police_multiplier: float  # how much likelier than average a behaviour here becomes a police record
    peer_effect: float  # additive term on the log hazard of behaviours (neighbourhood and peers)
    hakka: bool
    precinct: str


DISTRICTS: tuple[District, ...] = (
    District("桃園區", 0.200, 0.025, 0.09, 1.25, 0.05, False, "桃園分局"),
    District("中壢區", 0.190, 0.025, 0.10, 1.35, 0.10, True, "中壢分局"),
    District("平鎮區", 0.100, 0.030, 0.11, 1.00, 0.00, True, "平鎮分局"),
    District("八德區", 0.090, 0.035, 0.11, 1.10, 0.05, False, "八德分局"),
    District("楊梅區", 0.070, 0.020, 0.13, 0.85, -0.05, True, "楊梅分局"),
    District("蘆竹區", 0.070, 0.025, 0.11, 1.00, 0.00, False, "蘆竹分局"),
    District("龜山區", 0.070, 0.030, 0.10, 0.90, -0.05, False, "龜山分局"),
    District("龍潭區", 0.055, 0.040, 0.12, 0.80, -0.05, True, "龍潭分局"),
    District("大溪區", 0.040, 0.050, 0.11, 0.95, 0.00, False, "大溪分局"),
    District("大園區", 0.040, 0.030, 0.15, 1.30, 0.10, False, "大園分局"),
    District("觀音區", 0.030, 0.030, 0.16, 1.20, 0.05, True, "新屋分局"),
    District("新屋區", 0.020, 0.020, 0.16, 0.85, 0.00, True, "新屋分局"),
    District("復興區", 0.005, 0.600, 0.05, 1.60, 0.15, False, "大溪分局"),
)

# Registered births in Taiwan by year (thousands), used to size the cohorts.
_BIRTHS_BY_YEAR = {
    1998: 271, 1999: 283, 2000: 305, 2001: 260, 2002: 247, 2003: 227, 2004: 217, 2005: 206, 2006: 204,
    2007: 204, 2008: 199, 2009: 191, 2010: 167, 2011: 197, 2012: 229, 2013: 199, 2014: 211, 2015: 214,
    2016: 208, 2017: 194, 2018: 181, 2019: 178, 2020: 165,
}  # fmt: skip

_STREETS = (
    "中正路", "中山路", "民生路", "復興路", "建國路", "和平路", "光明路", "成功路", "自強街", "民族路", "中華路", "延平路", "長春路", "大興路",
    "介壽路", "永福路", "文化路", "忠孝路", "仁愛路", "信義路", "南華街", "福德路", "環中東路", "新生路", "青埔路", "龍岡路", "健行路", "三民路",
    "育英街", "榮民路", "中豐路", "金陵路", "興仁路", "廣福路", "東興街", "埔心路", "富國路", "萬壽路", "經國路", "大勇街",
)  # fmt: skip
_SECTIONS = ("", "", "", "一段", "二段", "三段")

INCOME_STATUSES = ("none", "low_income", "mid_low_income")


@dataclass
class Households:
    """One row per household (arrays of equal length)."""

    district: np.ndarray  # index into DISTRICTS
    address: list[str]
    indigenous: np.ndarray  # bool
    new_immigrant: np.ndarray  # bool
    fragility: np.ndarray  # latent household fragility, standard normal plus shifts
    shared: np.ndarray  # household component of the children's propensity
    id_letter: np.ndarray
    income: np.ndarray  # (households, calendar years) index into INCOME_STATUSES
    income_years: list[int]


@dataclass
class People:
    """One row per young person (arrays of equal length)."""

    household: np.ndarray
    birth: np.ndarray  # day number
    sex: np.ndarray  # "M"/"F"
    surname: list[str]
    given: list[str]
    name: list[str]  # true registered name
    name_romanized: list[str]  # canonical romanisation (pinyin), or the indigenous romanised name
    traditional_name: np.ndarray  # bool: indigenous name written with a middle dot
    national_id: np.ndarray
    propensity: np.ndarray  # person-level latent propensity (alpha), includes the household part
    health: np.ndarray  # drives excused absences only

    def __len__(self) -> int:
        return len(self.birth)


@dataclass
class Schools:
    """Junior-high (stage 0) and senior-high (stage 1) schools."""

    code: list[str]
    name: list[str]
    stage: np.ndarray
    district: np.ndarray
    kind: list[str]  # junior_high / academic / comprehensive / vocational
    effect: np.ndarray  # additive term on behaviour hazards of its students


@dataclass
class Spells:
    """Enrolment spells: one student number at one school for a run of semesters."""

    person: np.ndarray
    school: np.ndarray
    start: np.ndarray  # day number of the first school day
    end: np.ndarray  # scheduled last day (30 June or 31 January)
    start_month: np.ndarray  # month index relative to the first simulated month
    end_month: np.ndarray  # exclusive
    first_grade: np.ndarray
    first_school_year: np.ndarray  # calendar year in which the school year of ``start`` began
    effect: np.ndarray  # school effect plus the effect of this class (peers)
    student_no: np.ndarray

    def __len__(self) -> int:
        return len(self.person)


def _month_index(day_numbers: np.ndarray, first_month: datetime.date) -> np.ndarray:
    d = np.asarray(day_numbers).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    base = (first_month.year - 1970) * 12 + first_month.month - 1
    return d - base


def draw_households_and_people(
    rng: np.random.Generator, pools: NamePools, *, youth: int, start: datetime.date, end: datetime.date
) -> tuple[Households, People]:
    """Households with one to four children born so that each is aged 12-17 at some time in the window."""
    lo = dates.day(dates.add_years(start, -18)) + 1
    hi = dates.day(dates.add_years(end, -12)) - 1
    years = np.arange(dates.to_date(lo).year, dates.to_date(hi).year + 1)
    year_w = np.asarray([_BIRTHS_BY_YEAR.get(int(y), 200) for y in years], dtype=float)

    def draw_birth(n: int) -> np.ndarray:
        y = rng.choice(years, size=n, p=year_w / year_w.sum())
        first = np.asarray([dates.day(datetime.date(int(v), 1, 1)) for v in y])
        b = first + rng.integers(0, 365, size=n)
        bad = (b < lo) | (b > hi)
        while bad.any():
            b[bad] = rng.integers(lo, hi + 1, size=int(bad.sum()))
            bad = (b < lo) | (b > hi)
        return b

    births, hh_of = [], []
    n_hh = 0
    total = 0
    while total < youth:
        h = max(16, int((youth - total) / 1.45) + 8)
        kids = rng.choice([1, 2, 3, 4], size=h, p=[0.50, 0.36, 0.12, 0.02])
        anchor = draw_birth(h)
        for k in range(4):
            has = kids > k
            if k == 0:
                b = anchor.copy()
            else:
                gap = rng.integers(430, 1700, size=h) * np.where(rng.random(h) < 0.5, -1, 1)
                twins = rng.random(h) < 0.015
                b = np.where(twins, anchor, anchor + gap * k)
            keep = has & (b >= lo) & (b <= hi)
            idx = np.flatnonzero(keep)
            births.append(b[idx])
            hh_of.append(idx + n_hh)
        n_hh += h
        total = sum(len(x) for x in births)
    birth = np.concatenate(births)
    household = np.concatenate(hh_of)
    order = np.lexsort((birth, household))
    birth, household = birth[order][:youth], household[order][:youth]
    # Renumber households that still have children, in order of appearance.
    used, household = np.unique(household, return_inverse=True)
    n_hh = len(used)

    hh = _draw_households(rng, n_hh, start, end)
    people = _draw_people(rng, pools, hh, household, birth)
    return hh, people


def _draw_households(
    rng: np.random.Generator, n: int, start: datetime.date, end: datetime.date
) -> Households:
    share = np.asarray([d.population_share for d in DISTRICTS])
    district = rng.choice(len(DISTRICTS), size=n, p=share / share.sum())
    ind_p = np.asarray([d.indigenous_share for d in DISTRICTS])[district]
    nim_p = np.asarray([d.new_immigrant_share for d in DISTRICTS])[district]
    indigenous = rng.random(n) < ind_p
    new_immigrant = (rng.random(n) < nim_p / (1 - ind_p)) & ~indigenous
    new_immigrant |= indigenous & (rng.random(n) < 0.03)
    fragility = rng.normal(0.0, 1.0, n) + 0.25 * indigenous + 0.15 * new_immigrant
    shared = rng.normal(0.0, 1.0, n)
    letters = rng.choice(np.asarray(BIRTH_LETTERS), size=n, p=BIRTH_LETTER_P / BIRTH_LETTER_P.sum())

    income_years = list(range(start.year, end.year + 2))
    income = np.zeros((n, len(income_years)), dtype=np.int8)
    logit_li = -5.0 + 1.0 * fragility + 0.7 * indigenous + 0.3 * new_immigrant
    logit_mli = -4.3 + 0.8 * fragility + 0.4 * indigenous + 0.3 * new_immigrant
    p_li = 1 / (1 + np.exp(-logit_li))
    p_mli = (1 - p_li) / (1 + np.exp(-logit_mli))
    r = rng.random(n)
    income[:, 0] = np.where(r < p_li, 1, np.where(r < p_li + p_mli, 2, 0))
    # Yearly review: statuses persist, some households move in or out.
    trans = np.asarray([[0.987, 0.005, 0.008], [0.08, 0.80, 0.12], [0.15, 0.08, 0.77]])
    for y in range(1, len(income_years)):
        prev = income[:, y - 1]
        cum = trans[prev].cumsum(axis=1)
        r = rng.random(n)[:, None]
        income[:, y] = (r > cum).sum(axis=1)

    address = []
    st = rng.integers(0, len(_STREETS), size=n)
    sec = rng.integers(0, len(_SECTIONS), size=n)
    num = rng.integers(1, 400, size=n)
    floor = rng.integers(0, 15, size=n)
    lane = rng.integers(0, 300, size=n)
    lane_on = rng.random(n) < 0.35
    for i in range(n):
        a = f"桃園市{DISTRICTS[district[i]].name}{_STREETS[st[i]]}{_SECTIONS[sec[i]]}"
        if lane_on[i]:
            a += f"{lane[i] + 1}巷"
        a += f"{num[i]}號"
        if floor[i] >= 2:
            a += f"{floor[i]}樓"
        address.append(a)
    return Households(
        district=district,
        address=address,
        indigenous=indigenous,
        new_immigrant=new_immigrant,
        fragility=fragility,
        shared=shared,
        id_letter=letters,
        income=income,
        income_years=income_years,
    )


def _draw_people(
    rng: np.random.Generator, pools: NamePools, hh: Households, household: np.ndarray, birth: np.ndarray
) -> People:
    n = len(birth)
    sex = np.where(rng.random(n) < 0.52, "M", "F")
    n_hh = len(hh.district)
    hakka = np.asarray([d.hakka for d in DISTRICTS])[hh.district]
    sur_idx = np.where(
        hakka,
        rng.choice(len(pools.surnames), size=n_hh, p=pools.surname_p_hakka),
        rng.choice(len(pools.surnames), size=n_hh, p=pools.surname_p),
    )
    person_sur = sur_idx[household]
    first_in_hh = np.r_[True, household[1:] != household[:-1]]
    other = (~first_in_hh) & (rng.random(n) < 0.04)  # half-siblings and step-siblings
    person_sur[other] = rng.choice(len(pools.surnames), size=int(other.sum()), p=pools.surname_p)
    surname = [pools.surnames[k] for k in person_sur]
    given = pools.given_names(rng, sex)
    traditional = hh.indigenous[household] & (rng.random(n) < 0.4)
    ind_names = pools.indigenous_names(rng, int(traditional.sum()))
    name, romanized = [], []
    it = iter(ind_names)
    for i in range(n):
        if traditional[i]:
            zh, ro = next(it)
            name.append(zh)
            romanized.append(ro)
            surname[i] = ""
            given[i] = zh
        else:
            name.append(surname[i] + given[i])
            romanized.append(canonical_romanisation(surname[i], given[i], pools))
    sex_digit = np.where(sex == "M", 1, 2)
    nid = make_ids(rng, hh.id_letter[household], sex_digit)
    propensity = 0.40 * hh.shared[household] + 0.65 * rng.normal(0.0, 1.0, n)
    health = rng.normal(0.0, 0.5, n)
    return People(
        household=household,
        birth=birth,
        sex=sex,
        surname=surname,
        given=given,
        name=name,
        name_romanized=romanized,
        traditional_name=traditional,
        national_id=nid,
        propensity=propensity,
        health=health,
    )


_SCHOOL_WORDS = (
    "中正", "興國", "自強", "光明", "仁和", "東興", "大成", "青溪", "新明", "建國", "平南", "文昌", "永豐", "福豐", "凌雲", "龍興", "崇德",
    "富岡", "瑞坪", "山腳",
)  # fmt: skip


def draw_schools(rng: np.random.Generator, youth: int) -> Schools:
    """Junior and senior high schools spread over the districts in proportion to their population."""
    share = np.asarray([d.population_share for d in DISTRICTS])
    share = share / share.sum()
    n_jh = int(np.clip(round(youth / 2500), len(DISTRICTS), 95))
    n_sh = int(np.clip(round(youth / 4000), 5, 60))
    jh_per = np.maximum(1, np.floor(share * (n_jh - len(DISTRICTS)) + 0.5).astype(int) + 1)
    sh_w = share.copy()
    sh_w[-1] = 0.0  # 復興區 sends its senior-high students to 大溪區 and beyond
    sh_district = np.sort(rng.choice(len(DISTRICTS), size=n_sh, p=sh_w / sh_w.sum()))
    sh_district[:5] = np.arange(5)  # the five largest districts always have one
    code, name, stage, district, kind, effect = [], [], [], [], [], []
    k = 0
    for d, count in enumerate(jh_per):
        for _ in range(count):
            k += 1
            code.append(f"0345{k:02d}")
            word = _SCHOOL_WORDS[(k * 7) % len(_SCHOOL_WORDS)]
            name.append(f"桃園市立{word}國民中學({DISTRICTS[d].name}{k})")
            stage.append(0)
            district.append(d)
            kind.append("junior_high")
            effect.append(rng.normal(0.0, 0.2))
    kinds = ("academic", "comprehensive", "vocational")
    kind_effect = {"academic": -0.25, "comprehensive": 0.0, "vocational": 0.25}
    for j, d in enumerate(sh_district):
        kd = kinds[j % 3]
        code.append(f"0333{j + 1:02d}")
        word = _SCHOOL_WORDS[(j * 11 + 3) % len(_SCHOOL_WORDS)]
        suffix = {"academic": "高級中學", "comprehensive": "綜合高中", "vocational": "高級工商職業學校"}[kd]
        name.append(f"桃園市立{word}{suffix}({DISTRICTS[d].name}{j + 1})")
        stage.append(1)
        district.append(int(d))
        kind.append(kd)
        effect.append(kind_effect[kd] + rng.normal(0.0, 0.15))
    return Schools(
        code=code,
        name=name,
        stage=np.asarray(stage),
        district=np.asarray(district),
        kind=kind,
        effect=np.asarray(effect),
    )


def grade7_year(birth: np.ndarray) -> np.ndarray:
    """Calendar year in which a child born on ``birth`` starts grade 7 (cut-off: born by 1 September)."""
    y, m, d = dates.ymd(birth)
    early = (m < 9) | ((m == 9) & (d == 1))
    return np.where(early, y + 12, y + 13)


def draw_spells(
    rng: np.random.Generator,
    people: People,
    hh: Households,
    schools: Schools,
    *,
    first_month: datetime.date,
    horizon_months: int,
) -> Spells:
    """Junior-high (grades 7-9) and senior-high (10-12) spells, with transfers at term boundaries.

    Transfers and the choice of senior high depend only on static traits, so the schedule is fixed
    before any month is simulated.
    """
    n = len(people)
    y7 = grade7_year(people.birth)
    alpha = people.propensity
    home = hh.district[people.household]
    frag = hh.fragility[people.household]
    horizon_end = dates.day(dates.month_starts(first_month, horizon_months + 1)[-1])
    horizon_start = dates.day(first_month)

    jh_idx = np.flatnonzero(schools.stage == 0)
    sh_idx = np.flatnonzero(schools.stage == 1)
    jh_by_district = [jh_idx[schools.district[jh_idx] == d] for d in range(len(DISTRICTS))]
    sh_kind = np.asarray([schools.kind[s] for s in sh_idx])

    def pick_jh(districts: np.ndarray) -> np.ndarray:
        out = np.empty(len(districts), dtype=np.int64)
        for d in range(len(DISTRICTS)):
            sel = np.flatnonzero(districts == d)
            if sel.size:
                out[sel] = rng.choice(jh_by_district[d], size=sel.size)
        return out

    def pick_sh(districts: np.ndarray, a: np.ndarray) -> np.ndarray:
        # Higher propensity: likelier a vocational school. 60 % study in their own district if it has one.
        p_voc = 1 / (1 + np.exp(-(-0.7 + 0.9 * a)))
        p_acad = (1 - p_voc) / (1 + np.exp(-(0.2 - 0.9 * a)))
        r = rng.random(len(a))
        want = np.where(r < p_voc, "vocational", np.where(r < p_voc + p_acad, "academic", "comprehensive"))
        local = rng.random(len(a)) < 0.6
        pick = rng.random(len(a))
        out = np.empty(len(a), dtype=np.int64)
        for kd in ("vocational", "academic", "comprehensive"):
            cands_all = sh_idx[sh_kind == kd]
            for d in range(len(DISTRICTS)):
                loc = cands_all[schools.district[cands_all] == d]
                for is_local in (True, False):
                    sel = np.flatnonzero((want == kd) & (districts == d) & (local == is_local))
                    if sel.size == 0:
                        continue
                    cands = loc if (is_local and loc.size) else cands_all
                    out[sel] = cands[(pick[sel] * len(cands)).astype(np.int64)]
        return out

    rows: dict[str, list] = {k: [] for k in ("person", "school", "sem0", "sem1", "stage")}
    # Junior high for everyone, senior high for most (about 4 % do not continue).
    for stage in (0, 1):
        base_year = y7 + 3 * stage
        # Only people whose stage overlaps the horizon matter.
        years = np.unique(base_year)
        first_of = {int(y): dates.day(dates.school_year_start(int(y))) for y in years}
        last_of = {int(y): dates.day(datetime.date(int(y) + 3, 6, 30)) for y in years}
        first_day = np.asarray([first_of[int(y)] for y in base_year])
        last_day = np.asarray([last_of[int(y)] for y in base_year])
        relevant = (first_day < horizon_end) & (last_day >= horizon_start)
        if stage == 1:
            p_no_sh = 1 / (1 + np.exp(-(-3.6 + 0.8 * alpha + 0.4 * frag)))
            relevant &= rng.random(n) >= p_no_sh
        who = np.flatnonzero(relevant)
        if who.size == 0:
            continue
        school = pick_jh(home[who]) if stage == 0 else pick_sh(home[who], alpha[who])
        # Transfers at each of the five term boundaries.
        p_transfer = 0.011 * np.exp(0.35 * alpha[who])
        sem_start = np.zeros(who.size, dtype=np.int64)
        for boundary in range(1, 6):
            moves = rng.random(who.size) < p_transfer
            for j in np.flatnonzero(moves):
                rows["person"].append(who[j])
                rows["school"].append(school[j])
                rows["sem0"].append(sem_start[j])
                rows["sem1"].append(boundary)
                rows["stage"].append(stage)
            if moves.any():
                mv = np.flatnonzero(moves)
                new_d = np.where(
                    rng.random(mv.size) < 0.7, home[who[mv]], rng.integers(0, len(DISTRICTS), mv.size)
                )
                new = pick_jh(new_d) if stage == 0 else pick_sh(new_d, alpha[who[mv]])
                same = new == school[mv]
                if same.any():  # move to the next school of the stage instead
                    pool = jh_idx if stage == 0 else sh_idx
                    pos = np.searchsorted(pool, new[same])
                    new[same] = pool[(pos + 1) % len(pool)]
                school[mv] = new
                sem_start[mv] = boundary
        rows["person"].extend(who.tolist())
        rows["school"].extend(school.tolist())
        rows["sem0"].extend(sem_start.tolist())
        rows["sem1"].extend([6] * who.size)
        rows["stage"].extend([stage] * who.size)

    person = np.asarray(rows["person"], dtype=np.int64)
    school = np.asarray(rows["school"], dtype=np.int64)
    sem0 = np.asarray(rows["sem0"], dtype=np.int64)
    sem1 = np.asarray(rows["sem1"], dtype=np.int64)
    stage = np.asarray(rows["stage"], dtype=np.int64)
    base = y7[person] + 3 * stage

    def sem_start_day(year0: np.ndarray, sem: np.ndarray) -> np.ndarray:
        sy = year0 + sem // 2
        return np.asarray(
            [
                dates.day(
                    dates.school_year_start(int(y)) if s % 2 == 0 else dates.spring_term_start(int(y) + 1)
                )
                for y, s in zip(sy, sem, strict=True)
            ]
        )

    def sem_end_day(year0: np.ndarray, sem_exclusive: np.ndarray) -> np.ndarray:
        last = sem_exclusive - 1
        sy = year0 + last // 2
        return np.asarray(
            [
                dates.day(
                    datetime.date(int(y) + 1, 1, 31) if s % 2 == 0 else datetime.date(int(y) + 1, 6, 30)
                )
                for y, s in zip(sy, last, strict=True)
            ]
        )

    start = sem_start_day(base, sem0)
    end = sem_end_day(base, sem1)
    keep = (start < horizon_end) & (end >= horizon_start)
    person, school, sem0, stage, base, start, end = (
        a[keep] for a in (person, school, sem0, stage, base, start, end)
    )
    order = np.lexsort((start, person))
    person, school, sem0, stage, base, start, end = (
        a[order] for a in (person, school, sem0, stage, base, start, end)
    )
    first_grade = 7 + 3 * stage + sem0 // 2
    first_school_year = base + sem0 // 2
    start_month = _month_index(start, first_month)
    end_month = _month_index(end, first_month) + 1
    # A class is the school's intake of one year: its peers share an effect.
    class_key = school * 10000 + (base - 2000)
    uniq, inv = np.unique(class_key, return_inverse=True)
    class_effect = rng.normal(0.0, 0.15, len(uniq))[inv]
    effect = schools.effect[school] + class_effect
    # Student numbers: ROC year of the spell's start + serial within school and year.
    roc = np.asarray(dates.ymd(start)[0]) - dates.ROC_OFFSET
    grp = school * 1000 + roc
    order2 = np.lexsort((person, grp))
    serial = np.empty(len(person), dtype=np.int64)
    g_sorted = grp[order2]
    first = np.ones(len(g_sorted), dtype=bool)
    first[1:] = g_sorted[1:] != g_sorted[:-1]
    run_start = np.maximum.accumulate(np.where(first, np.arange(len(g_sorted)), 0))
    serial[order2] = np.arange(len(g_sorted)) - run_start + 1
    student_no = np.asarray([f"{r:03d}{s:04d}" for r, s in zip(roc, serial, strict=True)], dtype=object)
    return Spells(
        person=person,
        school=school,
        start=start,
        end=end,
        start_month=start_month,
        end_month=end_month,
        first_grade=first_grade,
        first_school_year=first_school_year,
        effect=effect,
        student_no=student_no,
    )
