"""The Bayes-optimal score given a youth's own records: what the best possible model could know.

``p_adverse_12m`` in the truth is the chance of an adverse outcome given the generator's *hidden* state:
the person's propensity ``alpha``, the household's fragility and this month's AR(1) shock ``u``. No
model sees those; it sees records. This module computes, for chosen youth-months, the probability the
generator's own equations give once the hidden state is integrated out against what the youth's records
show up to that month:

    p_obs(i, m) = E[ p_adverse_12m(alpha_i, f_i, u_i[m-1]) | records of youth i in months < m ]

It is an exact Bayes filter (a grid over ``alpha`` x fragility x ``u``, with the AR(1) transition between
months) run on the generator's draws, so it is the *ceiling* for any model of the youth's own records. It
errs on the generous side, which makes the ceiling higher, never lower:

* it treats as known what the records show only partly or not at all: sex, district and the chance a
  behaviour there becomes a police record, the school and class effect, the enrolment schedule, the
  excused-absence health term, indigenous and new-immigrant status (shifts of fragility), the household's
  first income status;
* it sees every record the moment it is drawn, with no reporting lag, no quarantined rows, no linkage
  errors and no sealing;
* it uses the primary draws only (a counselling start caused by an offence says nothing the offence did
  not), as the generator's likelihood requires.

Two approximations go the other way, each small: the grid (13 x 11 x 13 points) and, for once-a-month
events (a dropout, a counselling start, a fragile-family report) and excused absences, a Poisson
likelihood in place of the exact Bernoulli or binomial one; the rates are below 0.02 a month for nearly
everyone. Unexcused absences, whose daily chance can reach 0.6, use the exact binomial.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from integrations.synthetic import simulate
from integrations.synthetic.city import Simulated
from integrations.synthetic.population import DISTRICTS

NA, NF, NU = 13, 11, 13
SD_ALPHA = float(np.sqrt(0.40**2 + 0.65**2))  # 0.40 x household part + 0.65 x own part, both N(0, 1)


# Every Poisson-rate record kind the filter reads: (name, loading on alpha, on fragility, on u).
KINDS: tuple[tuple[str, float, float, float], ...] = (
    ("offence", 1.0, 0.35, 1.0),
    ("exposure", 1.0, 0.25, 1.0),
    ("child_protection", 0.3, 1.1, 1.0),
    ("dropout", 0.9, 0.4, 1.0),
    ("deviant", 1.0, 0.3, 1.0),
    ("runaway", 1.0, 1.0, 1.0),
    ("unsubstantiated", 0.3, 1.0, 0.6),
    ("fragile", 0.0, 1.1, 0.0),
    ("excused", 0.0, 0.0, 0.2),
    ("violence_deviance", 1.0, 0.0, 1.0),
    ("discipline_conflict", 0.7, 0.0, 0.7),
    ("safety", 0.5, 0.0, 0.5),
    ("cp_incident", 0.0, 1.0, 0.5),
    ("counselling1", 0.5, 0.5, 0.5),
    ("counselling2", 1.0, 0.5, 1.0),
    ("counselling3", 1.2, 0.5, 1.2),
)
KIND_INDEX = {k[0]: j for j, k in enumerate(KINDS)}
ADVERSE = ("offence", "exposure", "child_protection", "dropout")


@dataclass
class _AsIf:
    """The sex and home district a chunk of youth is taken to have, and the shift that makes in the
    adverse log-rates (which were computed with the true ones)."""

    male: np.ndarray
    home: np.ndarray
    shift: dict[str, np.ndarray]


def _grid(sd: float, n: int, span: float = 3.5) -> np.ndarray:
    return np.linspace(-span * sd, span * sd, n)


class Filter:
    """Counts, known log-rates and the grid for one world; :meth:`run` filters a set of people."""

    def __init__(self, rb: Simulated):
        w, ev = rb.world, rb.events
        self.w, self.ev = w, ev
        n, months = len(w.people), w.months
        self.n, self.months = n, months
        self.enrolled = np.vstack(ev.enrolled)  # (months, n)
        self.block_until = np.vstack(ev.block_until)
        self.counts = self._counts()
        self.a_grid = _grid(SD_ALPHA, NA)
        self.f_grid = np.linspace(-3.5, 4.0, NF)
        self.u_grid = _grid(simulate.STATIONARY_SD, NU)
        A, F, U = np.meshgrid(self.a_grid, self.f_grid, self.u_grid, indexing="ij")
        self.state = np.stack([A.ravel(), F.ravel(), U.ravel()])  # (3, S)
        load = np.asarray([k[1:] for k in KINDS])  # (K, 3)
        self.linear = (load @ self.state).astype(np.float32)  # (K, S): log-rate minus its known part
        self.expo = np.exp(self.linear)
        self.abs_linear = (0.9 * (A + U) + 0.4 * F).ravel().astype(np.float32)
        # AR(1) transition on the u grid (rows: from, columns: to).
        d = self.u_grid[None, :] - simulate.RHO * self.u_grid[:, None]
        T = np.exp(-0.5 * (d / simulate.SHOCK_SD) ** 2)
        self.transition = (T / T.sum(axis=1, keepdims=True)).astype(np.float32)
        # Log rates the generator used, with alpha and fragility taken out again.
        logd = simulate.static_log_rates(w)
        p, hh = w.people, w.hh
        alpha, frag = p.propensity, hh.fragility[p.household]
        loads = {k[0]: k[1:] for k in KINDS}
        self.dpeer = np.asarray([d.peer_effect for d in DISTRICTS])
        self.home = hh.district[p.household]
        self.male = p.sex == "M"
        # record_eff depends on the home district only: one value per district.
        self.record_eff_of_home = {}
        for kind, eff in w.record_eff.items():
            table = np.zeros(len(DISTRICTS))
            table[self.home] = eff
            self.record_eff_of_home[kind] = table
        self.adverse_known = {}
        for kind in ADVERSE:
            la, lf, _ = loads[kind]
            x = logd[kind] + w.intercept[kind] - la * alpha[None, :] - lf * frag[None, :]
            if kind in w.record_eff:
                x = x + np.log(w.record_eff[kind])[None, :]
            self.adverse_known[kind] = x  # (horizon, n), -inf where the rate is zero

    # ---- counts of the primary draws per kind, month and person --------------------------------------
    def _counts(self) -> np.ndarray:
        w, ev, n, months = self.w, self.ev, self.n, self.months
        out = np.zeros((len(KINDS), months, n), dtype=np.int16)

        def add(kind: str, person: np.ndarray, month: np.ndarray) -> None:
            ok = (month >= 0) & (month < months)
            np.add.at(out[KIND_INDEX[kind]], (month[ok].astype(np.int64), person[ok].astype(np.int64)), 1)

        def month_of_day(day: np.ndarray) -> np.ndarray:
            return np.searchsorted(w.month_start, day.astype(np.int64), side="right") - 1

        b = ev.get("behaviour")
        if b:
            rec = b["recorded"].astype(bool)
            for kind in ("offence", "exposure", "deviant"):
                sel = rec & (b["kind"] == kind)
                add(kind, b["person"][sel], b["month"][sel])
        pol = ev.get("police")
        if pol:
            sel = pol["code"] == "runaway"
            add("runaway", pol["person"][sel], pol["month"][sel])
        cp = ev.get("cp")
        if cp:
            sub = cp["substantiated"].astype(bool)
            add("child_protection", cp["person"][sub], cp["month"][sub])
            add("unsubstantiated", cp["person"][~sub], cp["month"][~sub])
        d = ev.get("dropout")
        if d:
            add("dropout", d["person"], d["month"])
        ff = ev.get("fragile")
        if ff:
            hh_of = self.w.people.household
            order = np.argsort(hh_of, kind="stable")
            lo = np.searchsorted(hh_of[order], ff["household"], side="left")
            hi = np.searchsorted(hh_of[order], ff["household"], side="right")
            reps = hi - lo
            person = (
                np.concatenate([order[a:b_] for a, b_ in zip(lo, hi, strict=True)])
                if reps.sum()
                else np.empty(0, int)
            )
            month = np.repeat(ff["month"], reps)
            age = w.age_at[np.clip(month, 0, months - 1), person]
            scope = (age >= 12) & (age < 18)
            add("fragile", person[scope], month[scope])
        a = ev.get("absence")
        if a:
            month = np.searchsorted(w.month_sd[:, 0], a["sd"].astype(np.int64), side="right") - 1
            ex = a["kind"] == 0
            add("excused", a["person"][ex], month[ex])
            self.unexcused = np.zeros((months, n), dtype=np.int16)
            un = ~ex
            ok = month[un] < months
            np.add.at(self.unexcused, (month[un][ok], a["person"][un][ok].astype(np.int64)), 1)
        else:
            self.unexcused = np.zeros((months, n), dtype=np.int16)
        inc = ev.get("incident")
        if inc:
            cat = inc["category"].astype(np.int64)
            for name, kind in (
                ("violence_deviance", "violence_deviance"),
                ("discipline_conflict", "discipline_conflict"),
                ("safety", "safety"),
                ("child_protection", "cp_incident"),
            ):
                sel = cat == simulate.INCIDENT_CATEGORIES.index(name)
                add(kind, inc["person"][sel], month_of_day(inc["day"][sel]))
        c = ev.get("counselling_start")
        if c:
            prim = c["primary"].astype(bool)
            for tier in (1, 2, 3):
                sel = prim & (c["tier"] == tier)
                add(f"counselling{tier}", c["person"][sel], month_of_day(c["day"][sel]))
        return out

    # ---- known parts of each log-rate for month t ------------------------------------------------------
    def _known(self, t: int, idx: np.ndarray, as_if: _AsIf) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(K, P) known log-rate (-inf where not at risk), unexcused-absence known part, school days."""
        w = self.w
        p = w.people
        age = w.age_at[t, idx]
        scope = (age >= 12) & (age < 18)
        agec = np.clip(age, 0, len(simulate._AGES) - 1)
        male = as_if.male
        dpeer = self.dpeer[as_if.home]
        s = w.school_effect[t, idx]
        n_sd = int(w.month_sd[t, 1] - w.month_sd[t, 0])
        school = self.enrolled[t, idx] & (n_sd > 0)
        known = np.full((len(KINDS), idx.size), -np.inf)
        for kind in ADVERSE:
            known[KIND_INDEX[kind]] = self.adverse_known[kind][t, idx] + as_if.shift[kind]
        known[KIND_INDEX["dropout"]] = np.where(
            self.block_until[t, idx] <= t, known[KIND_INDEX["dropout"]], -np.inf
        )
        age_off = simulate.AGE_EFFECT["offence"][agec]
        age_cp = simulate.AGE_EFFECT["child_protection"][agec]
        rec_dev = np.log(self.record_eff_of_home["deviant"][as_if.home])

        def put(kind: str, value: np.ndarray, mask: np.ndarray) -> None:
            known[KIND_INDEX[kind]] = np.where(mask, value, -np.inf)

        put("deviant", np.log(0.006) + dpeer + age_off + 0.3 * male + rec_dev, scope)
        put("runaway", np.log(0.8 * 0.00015) + 0.3 * ~male, scope)
        put("unsubstantiated", np.log(0.0012) + age_cp, scope)
        put("fragile", np.full(idx.size, np.log(0.0018)), scope)
        if n_sd > 0:
            put("excused", np.log(0.012 * n_sd) + p.health[idx], school)
            put("violence_deviance", np.log(0.0012) + 0.5 * s + 0.4 * male, school)
            put("discipline_conflict", np.full(idx.size, np.log(0.0004)), school)
            put("safety", np.full(idx.size, np.log(0.0003)), school)
            put("cp_incident", np.full(idx.size, np.log(0.0002)), school)
            put("counselling1", np.full(idx.size, np.log(0.003)), school)
            put("counselling2", np.full(idx.size, np.log(0.0008)), school)
            put("counselling3", np.full(idx.size, np.log(0.00015)), school)
        abs_known = np.log(0.0035) + s + simulate.AGE_EFFECT["absence"][np.clip(age, 0, 24)]
        return known, np.where(school, abs_known, np.nan), np.full(idx.size, n_sd)

    def _terms(self, kind: str, male: np.ndarray, home: np.ndarray) -> np.ndarray:
        """The part of an adverse log-rate that depends on sex and home district."""
        sex = np.where(male, simulate.SEX_EFFECT[kind]["M"], simulate.SEX_EFFECT[kind]["F"])
        if kind in ("offence", "exposure"):
            return sex + self.dpeer[home] + np.log(self.record_eff_of_home[kind][home])
        return sex

    def _as_if(self, idx: np.ndarray, male: bool | None = None, home: int | None = None) -> _AsIf:
        """The youth ``idx`` as they are, or all taken to be of sex ``male`` and district ``home``."""
        true_male, true_home = self.male[idx], self.home[idx]
        m = true_male if male is None else np.full(idx.size, male)
        h = true_home if home is None else np.full(idx.size, home)
        shift = {k: self._terms(k, m, h) - self._terms(k, true_male, true_home) for k in ADVERSE}
        return _AsIf(m, h, shift)

    def _prior(self, idx: np.ndarray) -> np.ndarray:
        """Log prior over the grid, (P, S)."""
        hh = self.w.hh
        h = self.w.people.household[idx]
        ind, nim = hh.indigenous[h].astype(float), hh.new_immigrant[h].astype(float)
        la = -0.5 * (self.a_grid / SD_ALPHA) ** 2
        lu = -0.5 * (self.u_grid / simulate.STATIONARY_SD) ** 2
        mf = 0.25 * ind + 0.15 * nim
        F = self.f_grid[None, :]
        lf = -0.5 * (F - mf[:, None]) ** 2
        # The household's first income status depends on fragility (population.py).
        p_li = 1 / (1 + np.exp(-(-5.0 + F + 0.7 * ind[:, None] + 0.3 * nim[:, None])))
        p_mli = (1 - p_li) / (1 + np.exp(-(-4.3 + 0.8 * F + 0.4 * ind[:, None] + 0.3 * nim[:, None])))
        status = hh.income[h, 0]
        lik = np.where(status[:, None] == 1, p_li, np.where(status[:, None] == 2, p_mli, 1 - p_li - p_mli))
        lf = lf + np.log(lik)
        out = la[None, :, None, None] + lf[:, None, :, None] + lu[None, None, None, :]
        return out.reshape(idx.size, -1)

    def _p12(self, t: int, idx: np.ndarray, post: np.ndarray, rng: np.random.Generator, samples: int,
             paths: np.ndarray, shift: dict[str, np.ndarray]) -> np.ndarray:  # fmt: skip
        """E[p_adverse_12m] under the posterior ``post`` (P, S), by stratified draws of the state."""
        P = idx.size
        cum = np.cumsum(post, axis=1)
        cum /= cum[:, -1:]
        r = (np.arange(samples)[None, :] + rng.random((P, samples))) / samples
        pick = np.empty((P, samples), dtype=np.int64)
        for i in range(P):
            pick[i] = np.searchsorted(cum[i], r[i])
        pick = np.minimum(pick, cum.shape[1] - 1)
        a, f, u = (self.state[j][pick] for j in range(3))  # (P, M)
        ks = t + np.arange(12)
        loads = {k[0]: k[1:] for k in KINDS}
        rate = np.zeros((P, samples, 12))
        for kind in ADVERSE:
            la, lf, _ = loads[kind]
            kn = self.adverse_known[kind][ks][:, idx].T + shift[kind][:, None]  # (P, 12)
            if kind == "dropout":
                kn = np.where(ks[None, :] >= self.block_until[t, idx][:, None], kn, -np.inf)
            rate += np.exp(la * a + lf * f)[:, :, None] * np.exp(kn)[:, None, :]
        decay = simulate.RHO ** np.arange(1, 13)
        rate *= np.exp(decay[None, None, :] * u[:, :, None])
        p = simulate._p_any(rate.reshape(P * samples, 12), paths).reshape(P, samples)
        return p.mean(axis=1)

    def run(self, people: np.ndarray, want: dict[int, np.ndarray], *, samples: int = 48, seed: int = 0,
            chunk: int = 12000, male: bool | None = None, home: int | None = None,
            evidence: dict[int, np.ndarray] | None = None) -> dict[int, np.ndarray]:  # fmt: skip
        """``want[m]``: a bool mask over ``people`` of who to score at month ``m``; returns E[p12] arrays
        aligned with ``people`` (NaN where not wanted).

        ``male`` and ``home`` take every youth to be of that sex and home district instead of their own;
        ``evidence``, if given, is filled with the log-likelihood of each youth's records before month ``m``
        (up to terms that do not depend on sex, district or the hidden state).
        """
        rng = np.random.default_rng(seed)
        paths = simulate.mc_paths(np.random.default_rng(seed + 1))
        last = max(want) if want else -1
        out = {m: np.full(people.size, np.nan) for m in want}
        if evidence is not None:
            evidence.update({m: np.full(people.size, np.nan) for m in want})
        S = self.state.shape[1]
        for c0 in range(0, people.size, chunk):
            idx = people[c0 : c0 + chunk]
            P = idx.size
            as_if = self._as_if(idx, male, home)
            logb = self._prior(idx).astype(np.float32)
            log_e = np.zeros(P)
            for t in range(last + 1):
                top = logb.max(axis=1, keepdims=True)
                b = np.exp(logb - top)
                total = b.sum(axis=1, keepdims=True)
                b /= total
                if t > 0:
                    log_e += (top + np.log(total))[:, 0]
                if t in want:
                    sel = np.flatnonzero(want[t][c0 : c0 + chunk])
                    if sel.size:
                        shift = {k: v[sel] for k, v in as_if.shift.items()}
                        post = b[sel].astype(np.float64)
                        out[t][c0 + sel] = self._p12(t, idx[sel], post, rng, samples, paths, shift)
                        if evidence is not None:
                            evidence[t][c0 + sel] = log_e[sel]
                if t == last:
                    break
                # u moves one month on (AR(1)), then month t's records update the belief.
                b = (b.reshape(P * NA * NF, NU) @ self.transition).reshape(P, S)
                known, abs_known, n_sd = self._known(t, idx, as_if)
                counts = self.counts[:, t, idx].astype(np.float32)  # (K, P)
                rates = np.exp(known).astype(np.float32)  # zero where not at risk
                ll = counts.T @ self.linear - rates.T @ self.expo
                if (
                    evidence is not None
                ):  # the count x known-log-rate term differs between sexes and districts
                    with np.errstate(invalid="ignore"):
                        ll += (
                            np.where(counts > 0, counts * known, 0.0).sum(axis=0)[:, None].astype(np.float32)
                        )
                school = ~np.isnan(abs_known)
                if school.any():
                    k = self.unexcused[t, idx[school]].astype(np.float32)[:, None]
                    x = abs_known[school].astype(np.float32)[:, None] + self.abs_linear[None, :]
                    pr = np.minimum(np.float32(0.6), np.exp(x))
                    ll[school] += k * np.log(pr) + (n_sd[school][:, None] - k) * np.log1p(-pr)
                with np.errstate(divide="ignore"):
                    logb = np.log(b) + ll
        return out

    def run_without_protected(
        self, people: np.ndarray, want: dict[int, np.ndarray], *, p_male: dict | None = None, **kw
    ) -> dict[int, np.ndarray]:
        """As :meth:`run`, with sex and home district not known but inferred from the records: a mixture
        over every (sex, district), each weighted by its share of the population times how likely it makes
        the youth's records. This is the ceiling for a model that may not use sex or district.

        ``p_male``, if given, is filled with each youth's posterior chance of being male, per month."""
        male_share = float(self.male.mean())
        district_share = np.bincount(self.home, minlength=len(DISTRICTS)) / self.n
        parts, males = [], []
        for male in (True, False):
            for home in np.flatnonzero(district_share > 0):
                ev: dict[int, np.ndarray] = {}
                p = self.run(people, want, male=male, home=int(home), evidence=ev, **kw)
                prior = np.log(male_share if male else 1 - male_share) + np.log(district_share[home])
                parts.append((p, {m: e + prior for m, e in ev.items()}))
                males.append(male)
        out = {}
        for m, mask in want.items():
            log_w = np.vstack([e[m][mask] for _, e in parts])
            wts = np.exp(log_w - log_w.max(axis=0, keepdims=True))
            wts /= wts.sum(axis=0, keepdims=True)
            out[m] = np.full(people.size, np.nan)
            out[m][mask] = (wts * np.vstack([p[m][mask] for p, _ in parts])).sum(axis=0)
            if p_male is not None:
                p_male[m] = np.full(people.size, np.nan)
                p_male[m][mask] = wts[np.asarray(males)].sum(axis=0)
        return out
