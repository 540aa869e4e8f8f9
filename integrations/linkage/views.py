"""Pages for data stewards: the record-match review queue, the linkage overview (model, runs, merges,
splits, sealing notices) and one youth's linked records, where wrong links are split off.

Stewards resolve identities; they never see events or cases. Every page view, list and decision is written
to the access log (the services log the decisions themselves; refusals are logged here).
"""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework.access import policy
from casework.access.audit import Actor, record, record_list
from casework.access.pages import not_found
from casework.models import AuditAction, Sex, YouthMerge, YouthSplit
from casework.pagination import paginate
from integrations.linkage import identity, review
from integrations.linkage.engine import REFUSED_KEY
from integrations.linkage.sealing import NOTICE_FEED
from integrations.models import (
    LinkageModel,
    LinkageRun,
    RecordLink,
    ReviewPair,
    ReviewStatus,
    SealingAction,
    SourceRecord,
)

RECENT = 20
YOUTH_ID = re.compile(r"Y[0-9A-Z]{1,15}")
SPLIT_ORIGIN = "identity page"

# The comparisons of a review pair, in the order a reviewer reads them.
FIELD_LABELS = {
    "national_id": gettext_lazy("National ID"),
    "surname": gettext_lazy("Surname"),
    "given_name": gettext_lazy("Given name"),
    "romanised_name": gettext_lazy("Name by sound (romanised)"),
    "birth_date": gettext_lazy("Birth date"),
    "sex": gettext_lazy("Sex"),
    "district": gettext_lazy("District"),
    "address": gettext_lazy("Address"),
    "residence": gettext_lazy("Address or district"),
}
# Agreement levels as the linkage model labels them (integrations/linkage/engine.py).
LEVEL_LABELS = {
    "exact": gettext_lazy("exact"),
    "one edit apart": gettext_lazy("one edit apart"),
    "same sound (homophone)": gettext_lazy("same sound (homophone)"),
    "same characters, other order": gettext_lazy("same characters, other order"),
    "one character apart": gettext_lazy("one character apart"),
    "one character missing": gettext_lazy("one character missing"),
    "near sound (typed by sound)": gettext_lazy("near sound (typed by sound)"),
    "one character of similar shape": gettext_lazy("one character of similar shape"),
    "same sound": gettext_lazy("same sound"),
    "day and month swapped": gettext_lazy("day and month swapped"),
    "year off by one (ROC slip)": gettext_lazy("year off by one (ROC slip)"),
    "ROC year read as Western": gettext_lazy("ROC year read as Western"),
    "one day apart": gettext_lazy("one day apart"),
    "one digit apart": gettext_lazy("one digit apart"),
    "same address": gettext_lazy("same address"),
    "same district": gettext_lazy("same district"),
    "same": gettext_lazy("same"),
    "different": gettext_lazy("different"),
    "null": gettext_lazy("missing on one side"),
}


# ---------------------------------------------------------------------------------------------------------
# Helpers shared with the API
# ---------------------------------------------------------------------------------------------------------


def mask_national_id(value: str | None) -> str:
    """Keep the first two and last two characters of a national ID; star the rest."""
    value = value or ""
    if len(value) <= 4:
        return "*" * len(value)
    return f"{value[:2]}{'*' * (len(value) - 4)}{value[-2:]}"


def sex_label(value: str | None) -> str:
    """M/F as the page's language says it; anything else as it came."""
    return str(Sex(value).label) if value in ("M", "F") else (value or "")


def percent(probability: float | None) -> str:
    return "" if probability is None else f"{probability * 100:.1f}%"


def signed(weight: float | None) -> str:
    return "" if weight is None else f"{weight:+.2f}"


def weight_class(weight: float | None) -> str:
    if weight is None or weight == 0:
        return "weight-none"
    return "weight-pos" if weight > 0 else "weight-neg"


def sides(pair: ReviewPair) -> tuple[dict, dict]:
    """Both records of a pair as :func:`review.side` describes them."""
    return review.side(pair.left_feed, pair.left_key), review.side(pair.right_feed, pair.right_key)


def redacted_comparison(pair: ReviewPair, left_sealed: bool, right_sealed: bool) -> dict:
    """The pair's comparison with the values of a sealed (or withdrawn) record removed: a court-sealed
    record's content must not survive in the review queue (Art. 83-1)."""
    out = {}
    for name, item in (pair.comparison or {}).items():
        if not isinstance(item, dict):  # a mark about the pair (engine.REFUSED_KEY), not a field
            out[name] = item
            continue
        item = dict(item)
        if left_sealed:
            item["left"] = None
        if right_sealed:
            item["right"] = None
        out[name] = item
    return out


def comparison_rows(comparison: dict) -> list[dict]:
    """Rows of the side-by-side table: field, both values, the agreement level and its weight."""
    names = [n for n in FIELD_LABELS if n in comparison] + [
        n for n in comparison if n not in FIELD_LABELS and not n.startswith("_")
    ]
    rows = []
    for name in names:
        item = comparison[name] or {}
        weight = item.get("match_weight")
        level = item.get("level") or ""
        left, right = item.get("left"), item.get("right")
        if name == "sex":
            left = None if left is None else sex_label(left)
            right = None if right is None else sex_label(right)
        rows.append(
            {
                "name": name,
                "label": FIELD_LABELS.get(name, name),
                "left": left,
                "right": right,
                "level": level,
                "level_label": LEVEL_LABELS.get(level, level),
                "weight": signed(weight),
                "weight_class": weight_class(weight),
            }
        )
    return rows


# Evidence weaker than this many bits either way neither speaks for nor against one person.
WEAK_EVIDENCE = 1.0


def why_uncertain(comparison: dict) -> dict[str, list[str]]:
    """Why the model could not decide, in the steward's words: what speaks for one person, what speaks for two
    people, and what is missing on one side, each field with its agreement level ("Given name: near sound
    (typed by sound)"). Fields are ordered by the strength of their evidence, strongest first."""
    rows = comparison_rows(comparison)
    weighed = []
    missing = []
    for row in rows:
        item = comparison.get(row["name"]) or {}
        weight = item.get("match_weight")
        phrase = _("%(field)s: %(level)s") % {"field": row["label"], "level": row["level_label"]}
        if row["level"] == "null":
            if row["name"] != "romanised_name":  # only compared when one side has no Chinese name
                missing.append(str(row["label"]))
        elif weight is not None:
            weighed.append((weight, phrase))
    against = [p for w, p in sorted(weighed, key=lambda x: x[0]) if w <= -WEAK_EVIDENCE]
    if comparison.get(REFUSED_KEY):
        against.insert(
            0,
            _(
                "Linking them would give one youth two different national IDs (from the other records already "
                "linked to each side), so the model did not link them although it scored them high"
            ),
        )
    return {
        "for": [p for w, p in sorted(weighed, key=lambda x: -x[0]) if w >= WEAK_EVIDENCE],
        "against": against,
        "missing": missing,
    }


# ---------------------------------------------------------------------------------------------------------
# Access
# ---------------------------------------------------------------------------------------------------------


def _require_steward(request) -> None:
    if not policy.can_steward_data(request.user):
        raise PermissionDenied


def _refused(request, obj, what: str, exc: ValidationError) -> None:
    """A decision the service refused: logged, and told to the steward in plain words."""
    record(Actor.from_request(request), AuditAction.DENIED, obj, detail={what: " ".join(exc.messages)})
    for message in exc.messages:
        messages.error(request, message)


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# ---------------------------------------------------------------------------------------------------------
# Review queue
# ---------------------------------------------------------------------------------------------------------


@login_required
def review_list(request):
    _require_steward(request)
    status = request.GET.get("status") or ReviewStatus.OPEN
    if status not in ReviewStatus.values:
        status = ReviewStatus.OPEN
    pairs = ReviewPair.objects.filter(status=status).select_related("model", "decided_by")
    page = paginate(request, pairs)
    for pair in page.object_list:
        pair.percent = percent(pair.match_probability)
    record_list(
        Actor.from_request(request), "reviewpair", count=page.paginator.count, query={"status": status}
    )
    return render(
        request,
        "integrations/linkage/review_list.html",
        {
            "page": page,
            "status": status,
            "statuses": ReviewStatus.choices,
            "query": f"status={status}",
        },
    )


@login_required
def review_detail(request, pk: int):
    """Both records side by side, and the steward's decision: one person, or two."""
    _require_steward(request)
    pair = ReviewPair.objects.select_related("model", "decided_by").filter(pk=pk).first()
    if pair is None:
        raise not_found(request, "reviewpair", pk)
    if request.method == "POST":
        decision = request.POST.get("decision")
        if decision not in ("accept", "reject"):
            messages.error(request, _("Choose “same person” or “different people”."))
            return redirect("integrations:review-detail", pk=pair.pk)
        try:
            pair = review.decide(
                pair=pair,
                accept=decision == "accept",
                actor=Actor.from_request(request),
                note=request.POST.get("note", ""),
            )
        except ValidationError as exc:
            _refused(request, pair, "decision", exc)
            return redirect("integrations:review-detail", pk=pair.pk)
        left, _right = sides(pair)
        if pair.status == ReviewStatus.ACCEPTED:
            messages.success(
                request,
                _("Accepted: both records now belong to youth %(youth)s.") % {"youth": left["youth"] or "—"},
            )
        else:
            messages.success(request, _("Rejected: the two records are kept apart."))
        return redirect(f"{reverse('integrations:review-list')}?status={ReviewStatus.OPEN}")

    left, right = sides(pair)
    record(
        Actor.from_request(request),
        AuditAction.VIEW,
        pair,
        detail={"youth": [left["youth"], right["youth"]]},
    )
    comparison = redacted_comparison(pair, left["sealed"], right["sealed"])
    return render(
        request,
        "integrations/linkage/review_detail.html",
        {
            "pair": pair,
            "left": left,
            "right": right,
            "rows": comparison_rows(comparison),
            "why": why_uncertain(comparison),
            "percent": percent(pair.match_probability),
            "upper": percent(pair.model.upper_threshold),
            "lower": percent(pair.model.lower_threshold),
            "weight": signed(pair.match_weight),
            "weight_class": weight_class(pair.match_weight),
            "same_youth": bool(left["youth"]) and left["youth"] == right["youth"],
        },
    )


# ---------------------------------------------------------------------------------------------------------
# Linkage overview
# ---------------------------------------------------------------------------------------------------------


@login_required
def linkage_overview(request):
    _require_steward(request)
    wanted = (request.GET.get("youth") or "").strip().upper()
    if wanted:
        if YOUTH_ID.fullmatch(wanted):
            return redirect("integrations:linkage-youth", public_id=wanted)
        messages.error(request, _("That is not a youth ID."))
    model = LinkageModel.objects.filter(is_active=True).first()
    runs = list(LinkageRun.objects.select_related("model")[:10])
    merges = list(YouthMerge.objects.select_related("kept", "absorbed", "by", "reversed_by")[:RECENT])
    splits = list(YouthSplit.objects.select_related("source", "created", "by", "reversed_by")[:RECENT])
    sealing = list(SealingAction.objects.all()[:RECENT])
    open_pairs = ReviewPair.objects.filter(status=ReviewStatus.OPEN).count()
    shown_youth = sorted(
        {m.kept.public_id for m in merges}
        | {m.absorbed.public_id for m in merges}
        | {s.source.public_id for s in splits}
        | {s.created.public_id for s in splits}
    )
    record_list(
        Actor.from_request(request),
        "linkage",
        count=len(merges) + len(splits) + len(sealing),
        query={"merges": len(merges), "splits": len(splits), "sealing": len(sealing), "youth": shown_youth},
    )
    return render(
        request,
        "integrations/linkage/linkage_overview.html",
        {
            "model": model,
            "upper": percent(model.upper_threshold) if model else "",
            "lower": percent(model.lower_threshold) if model else "",
            "runs": runs,
            "open_pairs": open_pairs,
            "merges": merges,
            "splits": splits,
            "sealing": sealing,
        },
    )


def _reverse(request, kind: str, model, pk: int, service):
    _require_steward(request)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    obj = model.objects.filter(pk=pk).first()
    if obj is None:
        raise not_found(request, model._meta.model_name, pk)
    try:
        service(**{kind: obj, "actor": Actor.from_request(request)})
    except ValidationError as exc:
        _refused(request, obj, "reverse", exc)
    else:
        if kind == "merge":
            messages.success(
                request,
                _("Merge reversed: %(absorbed)s is a youth of its own again.")
                % {"absorbed": obj.absorbed.public_id},
            )
        else:
            messages.success(
                request,
                _("Split reversed: the records are back with %(source)s.") % {"source": obj.source.public_id},
            )
    return redirect(_safe_next(request, reverse("integrations:linkage-overview")))


@login_required
def merge_reverse(request, pk: int):
    return _reverse(request, "merge", YouthMerge, pk, identity.reverse_merge)


@login_required
def split_reverse(request, pk: int):
    return _reverse(request, "split", YouthSplit, pk, identity.reverse_split)


# ---------------------------------------------------------------------------------------------------------
# One youth's linked records
# ---------------------------------------------------------------------------------------------------------


def _linked_records(youth) -> list[dict]:
    # A court notice is linked to its person only so that it reaches them; it is not one of their records,
    # and showing it would tell the steward that this named child was under a sealing order (Art. 83-1).
    links = list(
        RecordLink.objects.filter(youth=youth).exclude(feed=NOTICE_FEED).order_by("feed", "record_key")
    )
    wanted = Q(pk__in=[])
    for link in links:
        wanted |= Q(feed=link.feed, record_key=link.record_key)
    current = {
        (r.feed, r.record_key): r.values
        for r in SourceRecord.objects.filter(wanted, is_current=True, sealed_at__isnull=True)
    }
    rows = []
    for link in links:
        values = current.get((link.feed, link.record_key))
        rows.append(
            {
                "link": link,
                "available": values is not None,
                "national_id": mask_national_id((values or {}).get("national_id")),
                "name": (values or {}).get("name") or "",
                "name_romanized": (values or {}).get("name_romanized") or "",
                "birth_date": (values or {}).get("birth_date") or "",
                "sex": sex_label((values or {}).get("sex")),
                "district": (values or {}).get("district") or "",
                "percent": percent(link.match_probability),
            }
        )
    return rows


@login_required
def linkage_youth(request, public_id: str):
    """Identity only: the youth's linked source records and their merge/split history. No events, no cases."""
    _require_steward(request)
    youth = policy.identity_register(request.user).filter(public_id=public_id).first()
    if youth is None:
        raise not_found(request, "youth", public_id)
    if request.method == "POST":
        chosen = [v for v in request.POST.getlist("records") if v.isdigit()]
        links = (
            RecordLink.objects.filter(pk__in=chosen, youth=youth)
            .exclude(feed=NOTICE_FEED)
            .values_list("feed", "record_key")
        )
        try:
            split = identity.split_youth(
                youth=youth,
                records=list(links),
                reason=request.POST.get("reason", ""),
                origin=SPLIT_ORIGIN,
                actor=Actor.from_request(request),
            )
        except ValidationError as exc:
            _refused(request, youth, "split", exc)
        else:
            messages.success(
                request,
                _("Split: the chosen records now form youth %(youth)s.") % {"youth": split.created.public_id},
            )
        return redirect("integrations:linkage-youth", public_id=youth.public_id)

    record(Actor.from_request(request), AuditAction.VIEW, youth, detail={"part": "linked records"})
    merges = YouthMerge.objects.filter(Q(kept=youth) | Q(absorbed=youth)).select_related(
        "kept", "absorbed", "by", "reversed_by"
    )
    splits = YouthSplit.objects.filter(Q(source=youth) | Q(created=youth)).select_related(
        "source", "created", "by", "reversed_by"
    )
    return render(
        request,
        "integrations/linkage/linkage_youth.html",
        {
            "youth": youth,
            "masked_national_id": mask_national_id(youth.national_id),
            "records": _linked_records(youth),
            "merges": list(merges),
            "splits": list(splits),
            "here": request.get_full_path(),
        },
    )
