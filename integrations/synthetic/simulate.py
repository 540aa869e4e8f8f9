"""Latent, time-varying risk and the month-by-month draw of everything that happens to the youth.

The model (all hazards are monthly Poisson rates; see ``README`` in the truth folder for the prose):

* ``u[t]``: an AR(1) shock per person, ``u[t] = RHO * u[t-1] + SHOCK_SD * e[t]``, stationary.
* Four *adverse* outcome types, each with rate ``exp(u[t] + D_type[t])``, where ``D_type`` is a fixed
  function of static traits and the enrolment schedule: the person's propensity, household fragility,
  school and class (peer) effect, district peer effect, age and sex, a calibrated intercept, and for police
  contacts the log probability that a behaviour is recorded, which depends on the district where it
  happens (``DISTRICTS[*].police_multiplier``). Types: a recorded offence, a recorded exposure
  behaviour, a new dropout episode (only while enrolled and not already in an episode), a substantiated
  child-protection report. Police and welfare rates are zero outside ages 12-17.
* Everything else (absences, incidents, counselling, deviant and missing-person contacts, unsubstantiated
  and fragile-family reports, ...) is drawn from its own rate that also rises with ``u[t]`` and the
  static traits, so it carries signal about the adverse outcomes without causing them.

Because adverse rates share the factor ``exp(u)``, the probability of at least one adverse outcome in
the twelve months from the first day of month ``m`` given the state then (``u[m-1]``, static traits,
schedule, an open dropout episode's return date) is ``1 - E[exp(-sum_k exp(u[m+k]) C[m+k])]``, which
is estimated with shared antithetic Monte-Carlo paths of the future shocks.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import numpy as np

from integrations.synthetic import dates
from integrations.synthetic.population import DISTRICTS, Households, People, Schools, Spells

RHO = 0.85
STATIONARY_SD = 0.6
SHOCK_SD = STATIONARY_SD * float(np.sqrt(1 - RHO**2))
MC_PATHS = 128  # antithetic pairs count twice
BIG = 10**9

# Yearly rates the intercepts are calibrated to (recorded / observed events per in-scope youth-year;
# dropout per enrolled youth-year).
TARGET_ANNUAL = {"offence": 0.010, "exposure": 0.003, "dropout": 0.004, "child_protection": 0.006}

# Probability that one behaviour becomes a police record in a district with multiplier 1.
RECORD_PROB = {"offence": 0.55, "exposure": 0.35, "deviant": 0.15}

_AGES = np.arange(0, 25)


def _age_table(values: dict[int, float], default: float) -> np.ndarray:
    return np.asarray([values.get(int(a), default) for a in _AGES])


AGE_EFFECT = {
    "offence": _age_table({12: -1.4, 13: -0.7, 14: -0.2, 15: 0.2, 16: 0.45, 17: 0.55}, 0.0),
    "exposure": _age_table({12: -1.2, 13: -0.6, 14: -0.1, 15: 0.2, 16: 0.4, 17: 0.45}, 0.0),
    "dropout": _age_table({11: -0.6, 12: -0.5, 13: -0.2, 14: 0.1, 15: 0.3, 16: 0.3, 17: 0.2, 18: 0.1}, 0.0),
    "child_protection": _age_table({12: 0.3, 13: 0.2, 14: 0.1, 15: 0.0, 16: -0.15, 17: -0.3}, 0.0),
    "absence": _age_table({12: -0.3, 13: -0.1, 14: 0.1, 15: 0.2, 16: 0.3, 17: 0.3, 18: 0.3}, 0.0),
}
SEX_EFFECT = {
    "offence": {"M": 0.6, "F": -0.8},
    "exposure": {"M": 0.4, "F": -0.4},
    "dropout": {"M": 0.05, "F": -0.05},
    "child_protection": {"M": -0.1, "F": 0.15},
}

OFFENCE_CODES = (("fraud_mule", 0.38), ("theft", 0.24), ("assault", 0.18), ("drugs", 0.08), ("vandalism", 0.06),
                 ("intimidation", 0.06))  # fmt: skip
EXPOSURE_CODES = (("weapon", 0.45), ("drugs", 0.55))
DEVIANT_CODES = (("late_night_loitering", 0.75), ("smoking", 0.10), ("truancy_loitering", 0.08),
                 ("gang_association", 0.07))  # fmt: skip
INCIDENT_CATEGORIES = ("accident", "safety", "violence_deviance", "discipline_conflict", "child_protection",
                       "disaster", "illness", "other")  # fmt: skip
DROPOUT_REASONS = ("individual", "family", "school", "peer", "social", "other")
CP_REASONS = ("physical_abuse", "neglect", "emotional_abuse", "sexual_abuse", "unattended", "drug_exposure",
              "prohibited_venue")  # fmt: skip
FRAGILE_REASONS = ("economic_hardship", "parent_illness", "domestic_violence", "caregiver_substance_use",
                   "single_parent", "caregiver_incarcerated", "housing_instability")  # fmt: skip
LEVELS = ("high", "medium", "low")

# What the outreach knob's reach model reads: a youth's own records of the last months, as a caseworker would see
# them (the columns of ``Events.signals``).
SIGNALS = ("police", "welfare", "incident", "unexcused_absence", "counselling")


@dataclass(frozen=True)
class Outreach:
    """The knob for the effect of outreach (``docs/evaluation.md``), off unless a city is drawn with one.

    Each month, before its draws, youth in scope who were never reached are reached with a probability that
    rises with their own records of the last 3 and 12 months (``SIGNALS``), as a committee reaches youth by
    their score and history: ``min(cap, base * exp(sum(weight * count)))``. A reached youth's four adverse
    hazards (recorded offence and exposure behaviour, dropout, substantiated child protection) are multiplied
    by ``1 - effect`` for ``months`` months from the month of reach. Who is reached depends only on records,
    never on the hidden state, so a comparison that conditions on the same records can recover the effect.
    """

    effect: float = 0.0  # share by which a reached youth's adverse hazards fall
    months: int = 6  # for how long
    base: float = 0.00025  # monthly chance of reach for a youth without records
    cap: float = 0.3
    weights_3m: tuple[float, ...] = (2.2, 1.8, 1.0, 0.02, 1.0)
    weights_12m: tuple[float, ...] = (0.8, 0.7, 0.3, 0.005, 0.3)

    def __post_init__(self) -> None:
        if not 0.0 <= self.effect < 1.0:
            raise ValueError("the outreach effect is a share in [0, 1)")
        if self.months < 1:
            raise ValueError("the outreach effect lasts at least a month")

    def reach_probability(self, last_3m: np.ndarray, last_12m: np.ndarray) -> np.ndarray:
        z = last_3m @ np.asarray(self.weights_3m) + last_12m @ np.asarray(self.weights_12m)
        return np.minimum(self.cap, self.base * np.exp(np.minimum(z, 50.0)))


@dataclass
class World:
    """Everything fixed before the first month: people, schools, schedule and static hazard terms."""

    hh: Households
    people: People
    schools: Schools
    spells: Spells
    first_month: datetime.date
    months: int  # simulated months (the data window)
    horizon: int  # months + 12, for 12-month-ahead truth
    month_start: np.ndarray  # day numbers, horizon + 1 entries
    start_day: int
    end_day: int  # exclusive
    school_day: np.ndarray  # day numbers of school days covering the horizon
    month_sd: np.ndarray  # (horizon, 2) index range into school_day
    spell_at: np.ndarray  # (horizon, N) spell index or -1
    age_at: np.ndarray  # (horizon, N) age in years on the first day of the month
    school_effect: np.ndarray  # (horizon, N)
    record_eff: dict[str, np.ndarray]  # per person: chance a behaviour of the kind becomes a record
    occurrence_p: np.ndarray  # (districts, districts): where a youth's behaviour happens, by home
    intercept: dict[str, float] = field(default_factory=dict)


def _months_between(a: np.ndarray, first_month: datetime.date) -> np.ndarray:
    m = np.asarray(a).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return m - ((first_month.year - 1970) * 12 + first_month.month - 1)


def build_world(
    hh: Households, people: People, schools: Schools, spells: Spells, *, start: datetime.date, months: int
) -> World:
    """Monthly schedule arrays and the static parts of every hazard."""
    n = len(people)
    horizon = months + 12
    ms_dates = dates.month_starts(start, horizon + 1)
    month_start = np.asarray([dates.day(d) for d in ms_dates], dtype=np.int64)
    sd = dates.school_days(dates.month_starts(dates.add_years(start, -1), 1)[0], ms_dates[-1])
    month_sd = np.column_stack(
        [np.searchsorted(sd, month_start[:-1]), np.searchsorted(sd, month_start[1:])]
    ).astype(np.int64)

    spell_at = np.full((horizon, n), -1, dtype=np.int64)
    for t in range(horizon):
        active = (spells.start_month <= t) & (spells.end_month > t)
        spell_at[t, spells.person[active]] = np.flatnonzero(active)

    eff = np.append(spells.effect, np.nan)[spell_at]  # spell -1 picks the appended nan
    for t in range(1, horizon):  # between spells the last school's peers still count
        gap = np.isnan(eff[t])
        eff[t, gap] = eff[t - 1, gap]
    for t in range(horizon - 2, -1, -1):
        gap = np.isnan(eff[t])
        eff[t, gap] = eff[t + 1, gap]
    eff = np.nan_to_num(eff, nan=0.0)

    by, bm, bd = dates.ymd(people.birth)
    ages = np.empty((horizon, n), dtype=np.int64)
    for t, d in enumerate(ms_dates[:-1]):
        before = (d.month < bm) | ((d.month == bm) & (bd > 1))
        ages[t] = d.year - by - before.astype(np.int64)

    share = np.asarray([d.population_share for d in DISTRICTS])
    share = share / share.sum()
    occ = 0.15 * np.tile(share, (len(DISTRICTS), 1)) + 0.85 * np.eye(len(DISTRICTS))
    mult = np.asarray([d.police_multiplier for d in DISTRICTS])
    home = hh.district[people.household]
    record_eff = {kind: (occ @ np.minimum(0.95, base * mult))[home] for kind, base in RECORD_PROB.items()}
    return World(
        hh=hh,
        people=people,
        schools=schools,
        spells=spells,
        first_month=start,
        months=months,
        horizon=horizon,
        month_start=month_start,
        start_day=int(month_start[0]),
        end_day=int(month_start[months]),
        school_day=sd,
        month_sd=month_sd,
        spell_at=spell_at,
        age_at=ages,
        school_effect=eff,
        record_eff=record_eff,
        occurrence_p=occ,
    )


def static_log_rates(w: World) -> dict[str, np.ndarray]:
    """``D_type`` without intercepts, as (horizon, N) arrays; ``-inf`` where the rate is zero.

    Police rates here are of the *behaviour*; the recorded rate adds ``log(record_eff)``.
    """
    p, hh = w.people, w.hh
    alpha = p.propensity
    frag = hh.fragility[p.household]
    dpeer = np.asarray([d.peer_effect for d in DISTRICTS])[hh.district[p.household]]
    male = p.sex == "M"
    scope = (w.age_at >= 12) & (w.age_at < 18)
    age = np.clip(w.age_at, 0, len(_AGES) - 1)
    s = w.school_effect

    def sex_term(kind: str) -> np.ndarray:
        return np.where(male, SEX_EFFECT[kind]["M"], SEX_EFFECT[kind]["F"])

    with np.errstate(divide="ignore"):
        off = alpha + 0.35 * frag + s + dpeer + AGE_EFFECT["offence"][age] + sex_term("offence")
        exp_ = alpha + 0.25 * frag + s + dpeer + AGE_EFFECT["exposure"][age] + sex_term("exposure")
        cp = 0.3 * alpha + 1.1 * frag + AGE_EFFECT["child_protection"][age] + sex_term("child_protection")
        sd_count = np.diff(w.month_sd, axis=1)[:, 0].astype(float)
        frac = np.where(sd_count >= 5, sd_count / 21.0, 0.0)
        enrolled = w.spell_at >= 0
        drop = (
            0.9 * alpha
            + 0.4 * frag
            + 1.3 * s
            + AGE_EFFECT["dropout"][age]
            + sex_term("dropout")
            + np.log(frac)[:, None]
        )
    off = np.where(scope, off, -np.inf)
    exp_ = np.where(scope, exp_, -np.inf)
    cp = np.where(scope, cp, -np.inf)
    drop = np.where(enrolled, drop, -np.inf)
    return {"offence": off, "exposure": exp_, "dropout": drop, "child_protection": cp}


def calibrate(w: World, logd: dict[str, np.ndarray]) -> None:
    """Set intercepts so that average yearly rates over the window match :data:`TARGET_ANNUAL`."""
    mean_exp_u = float(np.exp(STATIONARY_SD**2 / 2))
    scope = (w.age_at[: w.months] >= 12) & (w.age_at[: w.months] < 18)
    enrolled = w.spell_at[: w.months] >= 0
    for kind, target in TARGET_ANNUAL.items():
        d = logd[kind][: w.months]
        if kind in w.record_eff:
            d = d + np.log(w.record_eff[kind])[None, :]
        mask = enrolled if kind == "dropout" else scope
        with np.errstate(over="ignore"):
            rate = np.exp(d[mask]).mean() if mask.any() else 1.0
        w.intercept[kind] = float(np.log(target / 12.0) - np.log(rate) - np.log(mean_exp_u))


def draw_shocks(rng: np.random.Generator, w: World) -> np.ndarray:
    """AR(1) shocks, shape (horizon + 1, N); row 0 is the month before the first simulated month."""
    n = len(w.people)
    u = np.empty((w.horizon + 1, n))
    u[0] = rng.normal(0.0, STATIONARY_SD, n)
    for t in range(1, w.horizon + 1):
        u[t] = RHO * u[t - 1] + SHOCK_SD * rng.normal(0.0, 1.0, n)
    return u


def mc_paths(rng: np.random.Generator) -> np.ndarray:
    """``exp`` of future shock paths ``e[k] = u[m+k] - RHO**(k+1) * u[m-1]``, shape (MC_PATHS, 12).

    Antithetic pairs, and each column rescaled so that its sample mean equals the exact
    ``E[exp(e[k])]``: the estimate is then exact to first order in the hazards.
    """
    half = rng.normal(0.0, 1.0, (MC_PATHS // 2, 12))
    eps = np.vstack([half, -half])
    e = np.empty_like(eps)
    e[:, 0] = SHOCK_SD * eps[:, 0]
    for k in range(1, 12):
        e[:, k] = RHO * e[:, k - 1] + SHOCK_SD * eps[:, k]
    var = SHOCK_SD**2 * (1 - RHO ** (2 * np.arange(1, 13))) / (1 - RHO**2)
    b = np.exp(e)
    b *= np.exp(var / 2) / b.mean(axis=0)
    return b.astype(np.float32)


def _p_any(a: np.ndarray, paths: np.ndarray) -> np.ndarray:
    """``1 - mean_j exp(-sum_k a[i, k] * paths[j, k])`` per row; float32 work, float64 mean."""
    s = np.ascontiguousarray(a, dtype=np.float32) @ paths.T
    np.negative(s, out=s)
    np.exp(s, out=s)
    return 1.0 - s.mean(axis=1, dtype=np.float64)


@dataclass
class Events:
    """Everything drawn by :func:`run`: column arrays per kind of event (lists until finalised)."""

    cols: dict[str, dict[str, list]] = field(default_factory=dict)
    # Per month, what the draws were conditioned on (for :mod:`.observable`): enrolled for school events,
    # and the first month a dropout could happen again.
    enrolled: list[np.ndarray] = field(default_factory=list)
    block_until: list[np.ndarray] = field(default_factory=list)
    # Only with an outreach knob: per month, each person's records by ``SIGNALS`` (int32, (n, 5)); the month
    # each person was reached (-1 never); and per reached person the true effect on the chance of an adverse
    # outcome in the 6 and 12 months from the reach (untreated minus treated, on the realised shock path).
    signals: list[np.ndarray] = field(default_factory=list)
    reached_month: np.ndarray | None = None
    true_effect: dict[str, np.ndarray] = field(default_factory=dict)

    def add(self, table_name: str, /, **columns: object) -> None:
        table = self.cols.setdefault(table_name, {})
        for name, values in columns.items():
            table.setdefault(name, []).append(np.asarray(values))

    def get(self, kind: str) -> dict[str, np.ndarray]:
        table = self.cols.get(kind, {})
        return {name: np.concatenate(parts) if parts else np.empty(0) for name, parts in table.items()}


@dataclass
class Truth:
    """Per person-month truth arrays (concatenated over months) and adverse-event references."""

    person: np.ndarray
    month: np.ndarray
    age: np.ndarray
    latent: np.ndarray
    hazard: np.ndarray
    p12: np.ndarray
    p12_path: np.ndarray
    p12_behaviour: np.ndarray


def _choice_codes(rng: np.random.Generator, table: tuple[tuple[str, float], ...], n: int) -> np.ndarray:
    p = np.asarray([x[1] for x in table])
    return rng.choice(len(table), size=n, p=p / p.sum())


def run(
    w: World,
    rng: np.random.Generator,
    mc_rng: np.random.Generator,
    outreach: Outreach | None = None,
    reach_rng: np.random.Generator | None = None,
) -> tuple[Events, Truth]:
    """Simulate every month of the window; return the raw events and the truth per person-month.

    Without ``outreach`` nothing is drawn for it, so a city is the same with or without this code path."""
    n = len(w.people)
    p, hh, sp = w.people, w.hh, w.spells
    logd = static_log_rates(w)
    calibrate(w, logd)
    for kind in logd:
        logd[kind] = logd[kind] + w.intercept[kind]
    log_rec = {k: np.log(w.record_eff[k]) for k in ("offence", "exposure")}
    with np.errstate(over="ignore"):
        c_rec = (
            np.exp(logd["offence"] + log_rec["offence"])
            + np.exp(logd["exposure"] + log_rec["exposure"])
            + np.exp(logd["child_protection"])
        )
        c_beh = np.exp(logd["offence"]) + np.exp(logd["exposure"]) + np.exp(logd["child_protection"])
        c_drop = np.exp(logd["dropout"])
    u = draw_shocks(rng, w)
    paths = mc_paths(mc_rng)
    decay = RHO ** np.arange(1, 13)

    alpha = p.propensity
    frag = hh.fragility[p.household]
    dpeer = np.asarray([d.peer_effect for d in DISTRICTS])[hh.district[p.household]]
    home = hh.district[p.household]
    male = p.sex == "M"
    occ_cum = np.cumsum(w.occurrence_p, axis=1)
    mult = np.asarray([d.police_multiplier for d in DISTRICTS])

    block_until = np.zeros(n, dtype=np.int64)
    exit_day = np.full(n, BIG, dtype=np.int64)  # first day no longer enrolled after a dropout
    last_return_sd = np.full(n, -10, dtype=np.int64)
    sd = w.school_day
    spell_first_sd = np.searchsorted(sd, sp.start)

    ev = Events()
    truth_parts: dict[str, list] = {k: [] for k in Truth.__dataclass_fields__}
    if outreach is not None:
        if reach_rng is None:
            raise ValueError("outreach needs its own random stream")
        reached = np.full(n, -1, dtype=np.int64)
        ev.reached_month = reached
        adverse_log = np.stack([logd[k] for k in ("offence", "exposure", "dropout", "child_protection")])
        log_rec4 = np.stack([log_rec["offence"], log_rec["exposure"], np.zeros(n), np.zeros(n)])

    for t in range(w.months):
        m0, m1 = int(w.month_start[t]), int(w.month_start[t + 1])
        lo, hi = int(w.month_sd[t, 0]), int(w.month_sd[t, 1])
        ut = u[t + 1]
        age = w.age_at[t]
        scope = (age >= 12) & (age < 18)
        sched = w.spell_at[t] >= 0
        enrolled = sched & (exit_day > m0)
        ev.enrolled.append(enrolled)
        ev.block_until.append(block_until.copy())
        damp = None
        if outreach is not None:
            damp, mark = _reach(outreach, reach_rng, ev, reached, scope, t)
            if damp is not None and (reached == t).any():
                _true_effect(outreach, ev, reached, t, u, adverse_log, log_rec4, block_until, w)

        # ---- truth for the youth in scope, before this month's draws -------------------------------
        s_idx = np.flatnonzero(scope)
        if s_idx.size:
            ks = t + np.arange(12)
            atrisk = ks[None, :] >= block_until[s_idx, None]
            cd = c_drop[t : t + 12, s_idx].T * atrisk
            a_rec = c_rec[t : t + 12, s_idx].T + cd
            a_beh = c_beh[t : t + 12, s_idx].T + cd
            lead = np.exp(decay[None, :] * u[t, s_idx, None])
            p12 = _p_any(a_rec * lead, paths)
            p12b = _p_any(a_beh * lead, paths)
            realised = np.exp(u[t + 1 : t + 13, s_idx].T)
            p_path = 1.0 - np.exp(-(a_rec * realised).sum(axis=1))
            truth_parts["person"].append(s_idx)
            truth_parts["month"].append(np.full(s_idx.size, t, dtype=np.int64))
            truth_parts["age"].append(age[s_idx])
            truth_parts["latent"].append(alpha[s_idx] + ut[s_idx])
            truth_parts["hazard"].append(a_rec[:, 0] * realised[:, 0])
            truth_parts["p12"].append(p12)
            truth_parts["p12_path"].append(p_path)
            truth_parts["p12_behaviour"].append(p12b)

        # ---- police: offences and exposure behaviours, thinned by recording ------------------------
        for kind, codes in (("offence", OFFENCE_CODES), ("exposure", EXPOSURE_CODES)):
            lam = np.exp(ut + logd[kind][t])
            if damp is not None:
                lam = lam * damp
            cnt = rng.poisson(lam)
            who = np.repeat(np.arange(n), cnt)
            _police_behaviours(rng, ev, w, kind, who, codes, m0, m1, occ_cum, mult, home, t)

        # ---- dropouts -------------------------------------------------------------------------------
        lam = np.exp(ut + logd["dropout"][t]) * (block_until <= t)
        if damp is not None:
            lam = lam * damp
        drop = np.flatnonzero(rng.random(n) < -np.expm1(-lam))
        for i in drop:
            s = int(w.spell_at[t, i])
            lag = int(rng.choice(3, p=[0.5, 0.3, 0.2]))
            lower = max(lo, int(spell_first_sd[s]) + 2 + lag, int(last_return_sd[i]) + 3 + lag)
            if lower >= hi:
                lag = 0
                lower = max(lo, int(spell_first_sd[s]) + 2, int(last_return_sd[i]) + 3)
            r = int(rng.integers(lower, hi)) if lower < hi else hi - 1
            run_start = r - 2 - lag
            reported = int(sd[r])
            in_sh = sp.first_grade[s] >= 10
            p_never = 0.25 + (0.1 if in_sh else 0.0)
            ret_sd = r + 1 + int(rng.geometric(0.12))
            never = rng.random() < p_never or ret_sd >= len(sd) or sd[ret_sd] > sp.end[s]
            if never:
                leave = min(int(sp.end[s]), reported + int(rng.integers(30, 121)))
                exit_day[i] = leave + 1  # first day no longer enrolled
                block_until[i] = BIG
                run_end = int(np.searchsorted(sd, leave, side="right"))
                returned = -1
            else:
                returned = int(sd[ret_sd])
                mi = int(np.searchsorted(w.month_start, returned, side="right")) - 1
                block_until[i] = mi if returned == w.month_start[mi] else mi + 1
                last_return_sd[i] = ret_sd
                run_end = ret_sd
            reason = int(rng.choice(len(DROPOUT_REASONS), p=[0.35, 0.25, 0.12, 0.15, 0.08, 0.05]))
            ev.add(
                "dropout",
                person=[i],
                spell=[s],
                reported=[reported],
                returned=[returned],
                run_start=[run_start],
                run_end=[run_end],
                reason=[reason],
                month=[t],
            )
            if 12 <= age[i] < 18 and rng.random() < 0.5:
                occurred = reported + int(rng.integers(0, 4))
                ev.add(
                    "police",
                    person=[i],
                    occurred=[occurred],
                    recorded=[occurred + int(rng.integers(0, 2))],
                    kind=["missing"],
                    code=["dropout_search"],
                    district=[home[i]],
                    month=[t],
                    adverse=[False],
                )
            if rng.random() < 0.65:
                tier = 3 if rng.random() < 0.25 else 2
                ev.add(
                    "counselling_start",
                    person=[i],
                    day=[reported + int(rng.integers(1, 15))],
                    tier=[tier],
                    primary=[False],
                )

        # ---- substantiated child-protection reports (adverse) and other welfare reports ----------------
        lam = np.exp(ut + logd["child_protection"][t])
        if damp is not None:
            lam = lam * damp
        who = np.repeat(np.arange(n), rng.poisson(lam))
        _welfare_cp(rng, ev, who, m0, m1, t, substantiated=True)
        lam_unsub = np.where(
            scope,
            0.0012 * np.exp(0.3 * alpha + 1.0 * frag + 0.6 * ut + AGE_EFFECT["child_protection"][age]),
            0.0,
        )
        who = np.repeat(np.arange(n), rng.poisson(lam_unsub))
        _welfare_cp(rng, ev, who, m0, m1, t, substantiated=False)

        # ---- deviant behaviour and missing youth (police, not adverse) ---------------------------------
        lam_dev = np.where(
            scope,
            0.006 * np.exp(alpha + 0.3 * frag + ut + dpeer + AGE_EFFECT["offence"][age] + 0.3 * male),
            0.0,
        )
        who = np.repeat(np.arange(n), rng.poisson(lam_dev))
        _police_behaviours(rng, ev, w, "deviant", who, DEVIANT_CODES, m0, m1, occ_cum, mult, home, t)
        lam_run = np.where(scope, 0.00015 * np.exp(alpha + frag + ut + 0.3 * ~male), 0.0)
        who = np.repeat(np.arange(n), rng.poisson(lam_run))
        who = who[rng.random(who.size) < 0.8]
        if who.size:
            occurred = m0 + rng.integers(0, m1 - m0, who.size)
            ev.add(
                "police",
                person=who,
                occurred=occurred,
                recorded=occurred + rng.integers(0, 3, who.size),
                kind=np.full(who.size, "missing"),
                code=np.full(who.size, "runaway"),
                district=home[who],
                month=np.full(who.size, t),
                adverse=np.zeros(who.size, dtype=bool),
            )

        # ---- fragile-family reports, one per household, a row for each child in scope ------------------
        lam_ff = 0.0018 * np.exp(1.1 * hh.fragility)
        hit = np.flatnonzero(rng.random(len(lam_ff)) < -np.expm1(-lam_ff))
        if hit.size:
            day_ = m0 + rng.integers(0, m1 - m0, hit.size)
            level = rng.choice(3, size=hit.size, p=[0.2, 0.45, 0.35])
            subst = rng.random(hit.size) < 0.7
            close = day_ + rng.integers(90, 400, hit.size)
            nreason = rng.integers(1, 4, hit.size)
            reasons = [
                ";".join(
                    FRAGILE_REASONS[k] for k in sorted(rng.choice(len(FRAGILE_REASONS), m, replace=False))
                )
                for m in nreason
            ]
            ev.add(
                "fragile",
                household=hit,
                reported=day_,
                level=level,
                substantiated=subst,
                closed=close,
                reasons=np.asarray(reasons, dtype=object),
                month=np.full(hit.size, t),
            )

        # ---- school: absences, incidents, counselling ------------------------------------------------
        n_sd = hi - lo
        e_idx = np.flatnonzero(enrolled)
        if n_sd > 0 and e_idx.size:
            ue = ut[e_idx]
            ae = alpha[e_idx]
            p_un = np.minimum(
                0.6,
                0.0035
                * np.exp(
                    0.9 * (ae + ue)
                    + 0.4 * frag[e_idx]
                    + w.school_effect[t, e_idx]
                    + AGE_EFFECT["absence"][np.clip(age[e_idx], 0, 24)]
                ),
            )
            p_ex = np.minimum(0.5, 0.012 * np.exp(p.health[e_idx] + 0.2 * ue))
            for kind, prob in ((1, p_un), (0, p_ex)):
                cnt = rng.binomial(n_sd, prob)
                who = np.repeat(e_idx, cnt)
                ev.add("absence", person=who, sd=rng.integers(lo, hi, who.size), kind=np.full(who.size, kind))
            z = ae + ue
            lam_inc = {
                "violence_deviance": 0.0012 * np.exp(z + 0.5 * w.school_effect[t, e_idx] + 0.4 * male[e_idx]),
                "discipline_conflict": 0.0004 * np.exp(0.7 * z),
                "safety": 0.0003 * np.exp(0.5 * z),
                "accident": np.full(e_idx.size, 0.0008),
                "illness": 0.0005 * np.exp(0.6 * p.health[e_idx]),
                "child_protection": 0.0002 * np.exp(frag[e_idx] + 0.5 * ue),
                "other": np.full(e_idx.size, 0.0002),
                "disaster": np.full(e_idx.size, 0.00005),
            }
            for cat, lam in lam_inc.items():
                who = np.repeat(e_idx, rng.poisson(lam))
                if who.size:
                    ev.add(
                        "incident",
                        person=who,
                        day=sd[rng.integers(lo, hi, who.size)],
                        category=np.full(who.size, INCIDENT_CATEGORIES.index(cat)),
                    )
            for tier, base, load in ((1, 0.003, 0.5), (2, 0.0008, 1.0), (3, 0.00015, 1.2)):
                lam = base * np.exp(load * z + 0.5 * frag[e_idx])
                who = e_idx[rng.random(e_idx.size) < -np.expm1(-lam)]
                if who.size:
                    ev.add(
                        "counselling_start",
                        person=who,
                        day=sd[rng.integers(lo, hi, who.size)],
                        tier=np.full(who.size, tier),
                        primary=np.ones(who.size, dtype=bool),
                    )

        if outreach is not None:
            ev.signals.append(_signals_since(ev, mark, n))

    truth = Truth(**{k: np.concatenate(v) if v else np.empty(0) for k, v in truth_parts.items()})
    ev.add("state", exit_day=exit_day)
    return ev, truth


_SIGNAL_TABLES = {"police": 0, "cp": 1, "incident": 2, "incident_from_police": 2, "incident_from_cp": 2,
                  "absence": 3, "counselling_start": 4}  # fmt: skip


def _parts(ev: Events) -> dict[str, int]:
    return {name: len(ev.cols.get(name, {}).get("person", [])) for name in _SIGNAL_TABLES}


def _signals_since(ev: Events, mark: dict[str, int], n: int) -> np.ndarray:
    """Each person's records of this month by ``SIGNALS`` (excused absences do not count)."""
    out = np.zeros((n, len(SIGNALS)), dtype=np.int32)
    for name, col in _SIGNAL_TABLES.items():
        table = ev.cols.get(name, {})
        people = table.get("person", [])[mark[name] :]
        if not people:
            continue
        who = np.concatenate(people)
        if name == "absence":
            who = who[np.concatenate(table["kind"][mark[name] :]) == 1]
        out[:, col] += np.bincount(who, minlength=n).astype(np.int32)
    return out


def _reach(
    outreach: Outreach, rng: np.random.Generator, ev: Events, reached: np.ndarray, scope: np.ndarray, t: int
) -> tuple[np.ndarray, dict[str, int]]:
    """Reach this month's youth from their records so far; return the hazard factor for this month."""
    n = reached.size
    if ev.signals:
        last_3m = np.sum(ev.signals[-3:], axis=0, dtype=np.float64)
        last_12m = np.sum(ev.signals[-12:], axis=0, dtype=np.float64)
        p = outreach.reach_probability(last_3m, last_12m)
        draw = rng.random(n)
        new = (reached < 0) & scope & (draw < p)
        reached[new] = t
    active = (reached >= 0) & (t - reached < outreach.months)
    damp = np.where(active, 1.0 - outreach.effect, 1.0)
    return damp, _parts(ev)


def _true_effect(
    outreach: Outreach,
    ev: Events,
    reached: np.ndarray,
    t: int,
    u: np.ndarray,
    adverse_log: np.ndarray,
    log_rec4: np.ndarray,
    block_until: np.ndarray,
    w: World,
) -> None:
    """For the youth reached this month: the chance of a recorded adverse outcome in the next 6 and 12 months
    on their realised shock path, untreated minus treated (the estimand the evaluation must recover)."""
    idx = np.flatnonzero(reached == t)
    end = min(t + 12, w.horizon)
    ks = np.arange(t, end)
    with np.errstate(over="ignore"):
        rate = np.exp(adverse_log[:, ks][:, :, idx] + log_rec4[:, None, idx])  # (4, k, people)
    atrisk = ks[:, None] >= block_until[None, idx]
    rate[2] = rate[2] * atrisk  # no new dropout while one is open
    h = rate.sum(axis=0) * np.exp(u[ks + 1][:, idx])  # (k, people), the realised path
    treated = np.where((ks - t < outreach.months)[:, None], 1.0 - outreach.effect, 1.0)
    for label, horizon in (("6", 6), ("12", 12)):
        k = min(horizon, len(ks))
        untreated = 1.0 - np.exp(-h[:k].sum(axis=0))
        with_outreach = 1.0 - np.exp(-(h[:k] * treated[:k]).sum(axis=0))
        part = np.column_stack([idx, untreated - with_outreach])
        ev.true_effect[label] = np.vstack([ev.true_effect.get(label, np.empty((0, 2))), part])


def _police_behaviours(
    rng: np.random.Generator,
    ev: Events,
    w: World,
    kind: str,
    who: np.ndarray,
    codes: tuple[tuple[str, float], ...],
    m0: int,
    m1: int,
    occ_cum: np.ndarray,
    mult: np.ndarray,
    home: np.ndarray,
    t: int,
) -> None:
    if who.size == 0:
        return
    occurred = m0 + rng.integers(0, m1 - m0, who.size)
    r = rng.random(who.size)
    district = (r[:, None] > occ_cum[home[who]]).sum(axis=1)
    district = np.minimum(district, len(DISTRICTS) - 1)
    q = np.minimum(0.95, RECORD_PROB[kind] * mult[district])
    recorded_flag = rng.random(who.size) < q
    code_idx = _choice_codes(rng, codes, who.size)
    code = np.asarray([codes[k][0] for k in code_idx])
    lag = np.where(
        rng.random(who.size) < 0.4,
        0,
        np.where(rng.random(who.size) < 0.7, rng.integers(1, 8, who.size), rng.integers(8, 61, who.size)),
    )
    if kind == "deviant":
        lag = np.zeros(who.size, dtype=np.int64)
    lag = np.where(code == "fraud_mule", lag + rng.integers(5, 40, who.size), lag)
    ev.add(
        "behaviour",
        person=who,
        occurred=occurred,
        kind=np.full(who.size, kind),
        code=code,
        district=district,
        recorded=recorded_flag,
        month=np.full(who.size, t),
    )
    rec = np.flatnonzero(recorded_flag)
    if rec.size:
        ev.add(
            "police",
            person=who[rec],
            occurred=occurred[rec],
            recorded=occurred[rec] + lag[rec],
            kind=np.full(rec.size, kind),
            code=code[rec],
            district=district[rec],
            month=np.full(rec.size, t),
            adverse=np.full(rec.size, kind in ("offence", "exposure")),
        )
        if kind == "offence":
            # Some offences come to the school's attention as campus-safety reports.
            school_report = rng.random(rec.size) < np.where(
                np.isin(code[rec], ["assault", "theft", "drugs"]), 0.3, 0.05
            )
            sel = rec[school_report]
            if sel.size:
                ev.add("incident_from_police", person=who[sel], day=occurred[sel])
            couns = rec[rng.random(rec.size) < 0.45]
            if couns.size:
                ev.add(
                    "counselling_start",
                    person=who[couns],
                    day=occurred[couns] + lag[couns] + rng.integers(3, 30, couns.size),
                    tier=np.where(rng.random(couns.size) < 0.3, 3, 2),
                    primary=np.zeros(couns.size, dtype=bool),
                )


def _welfare_cp(
    rng: np.random.Generator, ev: Events, who: np.ndarray, m0: int, m1: int, t: int, *, substantiated: bool
) -> None:
    if who.size == 0:
        return
    day_ = m0 + rng.integers(0, m1 - m0, who.size)
    level_p = [0.3, 0.5, 0.2] if substantiated else [0.05, 0.35, 0.6]
    level = rng.choice(3, size=who.size, p=level_p)
    close = day_ + (rng.integers(60, 540, who.size) if substantiated else rng.integers(7, 60, who.size))
    nreason = rng.choice([1, 2, 3], size=who.size, p=[0.6, 0.3, 0.1])
    reasons = [
        ";".join(CP_REASONS[k] for k in sorted(rng.choice(len(CP_REASONS), m, replace=False)))
        for m in nreason
    ]
    ev.add(
        "cp",
        person=who,
        reported=day_,
        level=level,
        substantiated=np.full(who.size, substantiated),
        closed=close,
        reasons=np.asarray(reasons, dtype=object),
        month=np.full(who.size, t),
    )
    if substantiated:
        school = rng.random(who.size) < 0.3
        if school.any():
            ev.add("incident_from_cp", person=who[school], day=day_[school])
        couns = rng.random(who.size) < 0.4
        if couns.any():
            ev.add(
                "counselling_start",
                person=who[couns],
                day=day_[couns] + rng.integers(3, 30, int(couns.sum())),
                tier=np.where(rng.random(int(couns.sum())) < 0.4, 3, 2),
                primary=np.zeros(int(couns.sum()), dtype=bool),
            )
