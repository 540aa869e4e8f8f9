"""Subject access: everything the platform holds about one youth, for a lawful request.

Selectors (``find_youth``, ``collect``) read everything about the youth, across bureaus, with no need-to-know
narrowing (the request is about the whole record); only data stewards reach them (``can_handle_subject_access``).
One service, ``export_subject_access``, writes the file through ``casework.exports.writers`` so it is watermarked and
logged like any export, with the request reference and legal basis in the audit entry.

What is left out, and why:

- **Sealed records** (Art. 83-1) vanish entirely: sealed source-record versions (any key with a sealed
  version), sealing notices and their links, alerts raised from an event that sealing removed (and the triage
  decisions on them), risk scores computed before a sealing notice was applied to the youth (their reasons
  may rest on the sealed records), the ``seal`` lines of the access log, and every access-log line about an
  object that is no longer in the database (erased by sealing or purged by retention: "Create alert 66",
  "View case 9" would say the alert and the case existed). A sealed record counts as never made, so even its
  existence is not disclosed; the fact of sealing stays with the court's notice, where auditors find it.
- **A sealed shell** (a youth record left with no identity and nothing held, by sealing) is not found at all:
  ``find_youth`` and ``youth_by_public_id`` answer as for an unknown ID, so no file (not even an empty one)
  says that a record ever existed.
- **Other people's data**: the access log lists who accessed the record, when and why, without their IP
  address or the rest of what they searched; a split lists no other youth's ID.
- Staff notifications and record-linkage review pairs are working copies of data already listed here.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework.access.audit import Actor
from casework.exports.writers import ExportFile, Sheet, columns, model_rows, render_export
from casework.models import (
    CASEWORK_ROLES,
    AccessGrant,
    Alert,
    AlertTrigger,
    AuditAction,
    AuditEntry,
    Case,
    CaseGoal,
    CaseNeed,
    CasePlanReview,
    CaseStatusChange,
    ClosureAcknowledgement,
    Enrollment,
    Event,
    FairnessAttributes,
    Intervention,
    Membership,
    PlannedService,
    Referral,
    RiskScore,
    TriageDecision,
    Youth,
    YouthMerge,
    YouthSplit,
)
from integrations.models import RecordLink, SealingAction, SourceRecord
from riskmodel.models import RiskModel

# Sealing notices name the records they seal: listing them would disclose that sealed records existed.
SEALING_NOTICE_FEED = "court.sealing"


class LegalBasis(models.TextChoices):
    """The lawful grounds on which a subject-access copy may be made."""

    DATA_SUBJECT = "data_subject", gettext_lazy("The youth's own request (PDPA Art. 3 and 10)")
    GUARDIAN = "guardian", gettext_lazy("Request of the legal representative of a minor (PDPA Art. 3 and 10)")
    COURT = "court", gettext_lazy("Court or prosecutor's request under law")
    OTHER = "other", gettext_lazy("Another statutory basis (state it)")


# ---------------------------------------------------------------------------------------------------------
# Finding the youth
# ---------------------------------------------------------------------------------------------------------


def _names_another_child(old: SourceRecord, current: SourceRecord) -> bool:
    """Whether an earlier version of a record names a different child than its current version (a bureau that
    re-used a record number, or corrected whom a record is about): its valid national ID differs from the
    current one's, its student differs, or, without two valid IDs, both its name and its birth date differ. A
    version that differs in one of them only is the same child's record with a typo, and theirs to see."""
    ov, cv = old.values or {}, current.values or {}
    if "student_no" in cv and old.feed != "school.students":
        return (ov.get("school_code"), ov.get("student_no")) != (cv.get("school_code"), cv.get("student_no"))
    if old.national_id_status == "valid" and current.national_id_status == "valid":
        return ov.get("national_id") != cv.get("national_id")
    return ov.get("name") != cv.get("name") and ov.get("birth_date") != cv.get("birth_date")


def _about_this_person(records: list[SourceRecord]) -> list[SourceRecord]:
    """The versions to hand out: every current one, and the earlier ones that do not name another child
    (insider review 15, F4: an earlier version named another child and their police contact)."""
    current = {(r.feed, r.record_key): r for r in records if r.is_current}
    return [
        r
        for r in records
        if r.is_current
        or (r.feed, r.record_key) not in current
        or not _names_another_child(r, current[(r.feed, r.record_key)])
    ]


def _kept(youth: Youth) -> Youth:
    seen = set()
    while youth.merged_into_id and youth.pk not in seen:
        seen.add(youth.pk)
        youth = youth.merged_into
    return youth


def find_youth(identifier: str) -> list[Youth]:
    """The youth records an exact youth ID or national ID names (merged records resolve to the record they
    were merged into). Several records may share a national ID (a mistyped ID, or one person not yet linked):
    the steward then chooses by youth ID."""
    identifier = identifier.strip()
    if not identifier:
        return []
    found = Youth.objects.filter(Q(public_id__iexact=identifier) | Q(national_id__iexact=identifier))
    found = [y for y in found.select_related("merged_into") if not _emptied_by_sealing(y)]
    kept = {y.pk: y for y in (_kept(y) for y in found)}
    kept = {pk: y for pk, y in kept.items() if not is_sealed_shell(y)}
    return sorted(kept.values(), key=lambda y: y.public_id)


def youth_by_public_id(public_id: str) -> Youth | None:
    """The youth record with this youth ID (a merged record gives the record it was merged into), or None,
    also for a sealed shell (see ``is_sealed_shell``)."""
    youth = Youth.objects.filter(public_id=public_id).first()
    if youth is None or _emptied_by_sealing(youth):
        return None
    youth = _kept(youth)
    return None if is_sealed_shell(youth) else youth


# What an empty shell may still show without holding anything: its (blank) identity and its log.
# Fairness attributes too: a split copies them onto the new record, so alone they say nothing of what is held
# (review 7b, F2: a split-off record emptied by a notice kept them and was answered as existing).
_SHELL_SHEETS = {"identity", "identity_changes", "access_log", "fairness_attributes"}


def is_sealed_shell(youth: Youth) -> bool:
    """True for a youth record with no identity left (every merged record too) and nothing held in any
    category: what sealing leaves of a youth known only through sealed records. It is answered as an unknown
    ID, because any file about it (even an empty one) would say that a record once existed."""
    people = _identities(youth)
    if any(y.name or y.national_id or y.birth_date or y.name_romanized for y in people):
        return False
    holdings = collect(youth)
    return all(not s.rows for s in holdings.sheets if s.id not in _SHELL_SHEETS)


def _blank(youth: Youth) -> bool:
    return not (youth.name or youth.national_id or youth.birth_date or youth.name_romanized)


def _emptied_by_sealing(youth: Youth) -> bool:
    """A record merged into another whose identity sealing has emptied (every record the merge moved from it
    was sealed, ``golden.refresh_absorbed_identities``): it counts as never made, so its ID is not answered,
    listed or followed to the record it was merged into."""
    return youth.merged_into_id is not None and _blank(youth)


def _identities(youth: Youth) -> list[Youth]:
    """The youth and every record merged into it (at any depth), without merged records that sealing has
    emptied: their ID, the merge and what it moved would say that the sealed record once existed."""
    found = [youth]
    seen = {youth.pk}
    frontier = [youth.pk]
    while frontier:
        more = list(Youth.objects.filter(merged_into_id__in=frontier).exclude(pk__in=seen))
        seen |= {y.pk for y in more}
        found.extend(y for y in more if not _emptied_by_sealing(y))
        frontier = [y.pk for y in more]
    return found


# ---------------------------------------------------------------------------------------------------------
# Collecting what is held
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Holdings:
    youth: Youth
    sheets: list[Sheet]

    def summary(self) -> list[dict]:
        return [{"key": s.id, "label": s.name, "count": len(s.rows)} for s in self.sheets]

    @property
    def total(self) -> int:
        return sum(len(s.rows) for s in self.sheets)


def _person(user) -> str:
    if user is None:
        return ""
    full = user.get_full_name()
    return f"{user.get_username()} ({full})" if full else user.get_username()


def _display(obj) -> str:
    return str(obj) if obj is not None else ""


def _reasons_text(reasons: Iterable[dict]) -> str:
    lines = []
    for r in reasons or []:
        arrow = "↑" if r.get("direction") == "up" else "↓"
        text = " | ".join(t for t in (r.get("text_zh"), r.get("text_en")) if t) or r.get("feature", "")
        shap = r.get("shap")
        lines.append(f"{arrow} {text}" + (f" ({shap:+.3f})" if isinstance(shap, int | float) else ""))
    return "\n".join(lines)


def _sealed_keys(pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
    by_feed: dict[str, set[str]] = defaultdict(set)
    for feed, key in pairs:
        by_feed[feed].add(key)
    sealed = set()
    for feed, keys in by_feed.items():
        sealed |= set(
            SourceRecord.objects.filter(feed=feed, record_key__in=keys, sealed_at__isnull=False).values_list(
                "feed", "record_key"
            )
        )
    return sealed


def collect(youth: Youth) -> Holdings:
    """Everything held about ``youth`` (and the records merged into it), one sheet per category, with sealed
    records and what derives from them left out (see the module docstring)."""
    people = _identities(youth)
    ids = [y.pk for y in people]
    public_ids = [y.public_id for y in people]
    by_pk = {y.pk: y for y in people}
    sheets: list[Sheet] = []

    # Identity --------------------------------------------------------------------------------------------
    cols = columns(
        ("relation", _("Record")),
        ("public_id", _("Youth ID")),
        ("name", _("Name")),
        ("name_romanized", _("Romanised name")),
        ("birth_date", _("Birth date")),
        ("sex", _("Sex")),
        ("national_id", _("National ID")),
        ("district", _("District")),
        ("address", _("Address")),
        ("merged_into", _("Merged into")),
        ("created_at", _("Created")),
        ("updated_at", _("Updated")),
    )
    rows = model_rows(
        people,
        cols,
        {
            "relation": lambda y: _("This record") if y.pk == youth.pk else _("Merged into this record"),
            "merged_into": lambda y: by_pk[y.merged_into_id].public_id if y.merged_into_id in by_pk else "",
        },
    )
    sheets.append(Sheet.of(_("Identity"), cols, rows, key="identity"))

    cols = columns(
        ("change", _("Change")),
        ("at", _("When")),
        ("by", _("By")),
        ("origin", _("Origin")),
        ("reason", _("Reason")),
        ("records", _("Records")),
        ("reversed_at", _("Reversed at")),
    )
    rows = [
        {
            "change": _("Merge"),
            "at": m.at,
            "by": _person(m.by),
            "origin": m.origin,
            "reason": m.reason,
            "records": f"{m.absorbed.public_id} → {m.kept.public_id}",
            "reversed_at": m.reversed_at,
        }
        for m in YouthMerge.objects.filter(Q(kept_id__in=ids) | Q(absorbed_id__in=ids)).select_related(
            "kept", "absorbed", "by"
        )
        # A record sealing emptied (merged away, or a shell once the merge was reversed) is not named.
        if not (_blank(m.absorbed) and m.absorbed_id != youth.pk)
    ]
    rows += [
        {
            "change": _("Split"),
            "at": s.at,
            "by": _person(s.by),
            "origin": s.origin,
            "reason": s.reason,
            # The other record is another person: its ID is not theirs to receive.
            "records": "",
            "reversed_at": s.reversed_at,
        }
        for s in YouthSplit.objects.filter(Q(source_id__in=ids) | Q(created_id__in=ids)).select_related("by")
    ]
    sheets.append(Sheet.of(_("Merges and splits"), cols, rows, key="identity_changes"))

    # Linked source identities and source records ---------------------------------------------------------
    links = list(RecordLink.objects.filter(youth_id__in=ids).exclude(feed=SEALING_NOTICE_FEED))
    events = list(Event.objects.filter(youth_id__in=ids).select_related("owning_bureau", "school"))
    wanted = {(link.feed, link.record_key) for link in links}
    wanted |= {(e.source_feed, e.source_key) for e in events if e.source_feed and e.source_key}
    wanted = {pair for pair in wanted if pair[0] != SEALING_NOTICE_FEED}
    sealed = _sealed_keys(wanted)
    links = [link for link in links if (link.feed, link.record_key) not in sealed]
    cols = columns(
        ("feed", _("Feed")),
        ("record_key", _("Record key")),
        ("method", _("Method")),
        ("match_probability", _("Match probability")),
        ("pinned", _("Pinned")),
        ("linked_at", _("Linked at")),
    )
    sheets.append(Sheet.of(_("Linked source identities"), cols, model_rows(links, cols), key="record_links"))

    by_feed: dict[str, set[str]] = defaultdict(set)
    for feed, key in wanted - sealed:
        by_feed[feed].add(key)
    records: list[SourceRecord] = []
    for feed, keys in sorted(by_feed.items()):
        records += SourceRecord.objects.filter(
            feed=feed, record_key__in=keys, sealed_at__isnull=True
        ).select_related("batch")
    records = _about_this_person(records)
    records.sort(key=lambda r: (r.feed, r.record_key, r.version))
    cols = columns(
        ("feed", _("Feed")),
        ("record_key", _("Record key")),
        ("version", _("Version")),
        ("is_current", _("Current version")),
        ("received_at", _("Received at")),
        ("knowledge_date", _("Knowledge date")),
        ("event_date", _("Event date")),
        ("file", _("File")),
        ("row_number", _("Row number")),
        ("values", _("Normalised values")),
        ("raw", _("Row as received")),
    )
    rows = model_rows(records, cols, {"file": lambda r: r.batch.file_name})
    sheets.append(Sheet.of(_("Source records"), cols, rows, key="source_records"))

    # Timeline and school ---------------------------------------------------------------------------------
    cols = columns(
        ("event_date", _("Event date")),
        ("knowledge_date", _("Knowledge date")),
        ("kind", _("Kind")),
        ("source", _("Source")),
        ("code", _("Code")),
        ("owning_bureau", _("Bureau")),
        ("school", _("School")),
        ("sensitivity", _("Sensitivity")),
        ("details", _("Details")),
        ("source_feed", _("Feed")),
        ("source_key", _("Record key")),
    )
    rows = model_rows(
        events,
        cols,
        {"owning_bureau": lambda e: str(e.owning_bureau), "school": lambda e: _display(e.school)},
    )
    sheets.append(Sheet.of(_("Timeline events"), cols, rows, key="events"))

    cols = columns(
        ("school", _("School")),
        ("student_no", _("Student number")),
        ("grade", _("Grade")),
        ("enrolled_on", _("Enrolled on")),
        ("left_on", _("Left on")),
    )
    enrolments = Enrollment.objects.filter(youth_id__in=ids).select_related("school").order_by("enrolled_on")
    rows = model_rows(enrolments, cols, {"school": lambda e: str(e.school)})
    sheets.append(Sheet.of(_("Enrolments"), cols, rows, key="enrolments"))

    # Casework --------------------------------------------------------------------------------------------
    cases = list(
        Case.objects.filter(youth_id__in=ids)
        .select_related("lead_bureau", "assignee", "opened_by", "closure_approved_by")
        .order_by("opened_at")
    )
    cols = columns(
        ("case", _("Case")),
        ("lead_bureau", _("Lead bureau")),
        ("concern", _("Concern")),
        ("status", _("Status")),
        ("summary", _("Summary")),
        ("assessment", _("Assessment")),
        ("plan", _("Plan")),
        ("assignee", _("Assignee")),
        ("opened_at", _("Opened")),
        ("opened_by", _("Opened by")),
        ("monitoring_since", _("Monitoring since")),
        ("closure_reason", _("Closure reason")),
        ("closure_note", _("Closure note")),
        ("closed_at", _("Closed at")),
        ("closure_approved_by", _("Closure approved by")),
    )
    rows = model_rows(
        cases,
        cols,
        {
            "case": str,
            "lead_bureau": lambda c: str(c.lead_bureau),
            "assignee": lambda c: _person(c.assignee),
            "opened_by": lambda c: _person(c.opened_by),
            "closure_approved_by": lambda c: _person(c.closure_approved_by),
        },
    )
    sheets.append(Sheet.of(_("Cases"), cols, rows, key="cases"))

    cols = columns(
        ("case", _("Case")),
        ("at", _("When")),
        ("from_status", _("From")),
        ("to_status", _("To")),
        ("by", _("By")),
        ("note", _("Note")),
    )
    changes = CaseStatusChange.objects.filter(case__in=cases).select_related("case", "by")
    rows = model_rows(changes, cols, {"case": lambda c: str(c.case), "by": lambda c: _person(c.by)})
    sheets.append(Sheet.of(_("Case status history"), cols, rows, key="case_status_changes"))

    cols = columns(
        ("case", _("Case")),
        ("occurred_on", _("Date")),
        ("kind", _("Kind")),
        ("duration_minutes", _("Duration (minutes)")),
        ("worker", _("Worker")),
        ("notes", _("Notes")),
        ("outcome", _("Outcome")),
        ("next_step", _("Next step")),
        ("next_due", _("Next step due")),
    )
    interventions = (
        Intervention.objects.filter(case__in=cases)
        .select_related("case", "worker")
        .order_by("occurred_on", "id")
    )
    rows = model_rows(
        interventions, cols, {"case": lambda i: str(i.case), "worker": lambda i: _person(i.worker)}
    )
    sheets.append(Sheet.of(_("Interventions"), cols, rows, key="interventions"))
    sheets += _plan_sheets(cases)

    cols = columns(
        ("created_at", _("Sent")),
        ("kind", _("Kind")),
        ("case", _("Case")),
        ("from_bureau", _("From")),
        ("from_user", _("Sent by")),
        ("to_bureau", _("To")),
        ("to_user", _("Receiving worker")),
        ("status", _("Status")),
        ("reason", _("Reason")),
        ("consent", _("Consent")),
        ("consent_note", _("Consent note")),
        ("response_note", _("Response note")),
        ("responded_at", _("Answered at")),
        ("closed_note", _("Completion or revocation note")),
        ("closed_at", _("Completed or revoked at")),
    )
    referrals = (
        Referral.objects.filter(youth_id__in=ids)
        .select_related("case", "from_bureau", "to_bureau", "from_user", "to_user")
        .order_by("created_at")
    )
    rows = model_rows(
        referrals,
        cols,
        {
            "case": lambda r: str(r.case) if r.case_id else "",
            "from_bureau": lambda r: str(r.from_bureau),
            "to_bureau": lambda r: str(r.to_bureau),
            "from_user": lambda r: _person(r.from_user),
            "to_user": lambda r: _person(r.to_user),
        },
    )
    sheets.append(Sheet.of(_("Referrals"), cols, rows, key="referrals"))

    # Alerts raised from an event that is gone (sealing removes the event) went with it.
    alerts = list(
        Alert.objects.filter(youth_id__in=ids)
        .exclude(rule__trigger=AlertTrigger.EVENT, source_event__isnull=True)
        .select_related("rule", "routed_to", "acknowledged_by", "resolved_by")
        .order_by("created_at")
    )
    cols = columns(
        ("created_at", _("Raised")),
        ("alert", _("Alert")),
        ("routed_to", _("Routed to")),
        ("status", _("Status")),
        ("due_at", _("Due at")),
        ("acknowledged_by", _("Acknowledged by")),
        ("acknowledged_at", _("Acknowledged at")),
        ("escalated_at", _("Escalated at")),
        ("resolved_by", _("Resolved by")),
        ("resolved_at", _("Resolved at")),
    )
    rows = model_rows(
        alerts,
        cols,
        {
            "alert": lambda a: a.label,
            "routed_to": lambda a: str(a.routed_to),
            "acknowledged_by": lambda a: _person(a.acknowledged_by),
            "resolved_by": lambda a: _person(a.resolved_by),
        },
    )
    sheets.append(Sheet.of(_("Alerts"), cols, rows, key="alerts"))

    decisions = (
        TriageDecision.objects.filter(youth_id__in=ids)
        .filter(Q(alert__isnull=True) | Q(alert__in=[a.pk for a in alerts]))
        .select_related("bureau", "decided_by")
        .order_by("created_at")
    )
    cols = columns(
        ("created_at", _("Decided at")),
        ("bureau", _("Bureau")),
        ("decided_by", _("Decided by")),
        ("decision", _("Decision")),
        ("reason_code", _("Reason")),
        ("note", _("Note")),
        ("score", _("Score shown")),
        ("band", _("Band shown")),
        ("model_version", _("Model version")),
        ("is_override", _("Override of the model")),
    )
    rows = model_rows(
        decisions, cols, {"bureau": lambda d: str(d.bureau), "decided_by": lambda d: _person(d.decided_by)}
    )
    sheets.append(Sheet.of(_("Triage decisions"), cols, rows, key="triage_decisions"))

    # Risk scores -----------------------------------------------------------------------------------------
    scores = RiskScore.objects.filter(youth_id__in=ids).order_by("as_of", "scored_at")
    last_sealing = (
        SealingAction.objects.filter(youth_public_id__in=public_ids, pending=False)
        .order_by("-applied_at")
        .values_list("applied_at", flat=True)
        .first()
    )
    if last_sealing is not None:
        scores = scores.filter(scored_at__gte=last_sealing)
    models_by_label = {m.label: m for m in RiskModel.objects.all().only("version", "as_of", "label_variant")}
    cols = columns(
        ("as_of", _("As of")),
        ("score", _("Score")),
        ("band", _("Band")),
        ("rank", _("Rank")),
        ("model_version", _("Model version")),
        ("model_as_of", _("Model trained on what was known by")),
        ("model_label", _("Label")),
        ("reasons", _("Reasons")),
        ("scored_at", _("Scored at")),
    )

    def model_of(score):
        return models_by_label.get(score.model_version)

    rows = model_rows(
        scores,
        cols,
        {
            "model_as_of": lambda s: model_of(s).as_of if model_of(s) else None,
            "model_label": lambda s: model_of(s).label_variant if model_of(s) else "",
            "reasons": lambda s: _reasons_text(s.reasons),
        },
    )
    sheets.append(Sheet.of(_("Risk scores"), cols, rows, key="risk_scores"))

    cols = columns(
        ("public_id", _("Youth ID")),
        ("indigenous", _("Indigenous")),
        ("new_immigrant_parent", _("New-immigrant parent")),
    )
    fairness = FairnessAttributes.objects.filter(youth_id__in=ids).select_related("youth")
    rows = model_rows(fairness, cols, {"public_id": lambda f: f.youth.public_id})
    sheets.append(Sheet.of(_("Fairness attributes"), cols, rows, key="fairness_attributes"))

    # Access log ------------------------------------------------------------------------------------------
    entries = _entries_with_a_reason_left(
        _entries_about_what_exists(
            AuditEntry.objects.filter(youth_public_id__in=public_ids)
            .exclude(action=AuditAction.SEAL)
            .order_by("at", "id")
        ),
        ids,
    )
    # A merge the "Merges and splits" sheet leaves out (its absorbed record emptied by sealing) is not named by
    # the log either: its line would say that the sealed record once existed (insider review 13, F2).
    unnamed = {
        str(m.pk)
        for m in YouthMerge.objects.filter(Q(kept_id__in=ids) | Q(absorbed_id__in=ids)).select_related(
            "absorbed"
        )
        if _blank(m.absorbed) and m.absorbed_id != youth.pk
    }
    entries = [e for e in entries if not (e.object_type == "youthmerge" and e.object_id in unnamed)]
    cols = columns(
        ("at", _("When")),
        ("username", _("User")),
        ("roles", _("Roles")),
        ("action", _("Action")),
        ("object_type", _("Object type")),
        ("object_id", _("Object")),
        ("purpose", _("Purpose")),
    )
    sheets.append(Sheet.of(_("Access log"), cols, model_rows(entries, cols), key="access_log"))
    return Holdings(youth=youth, sheets=sheets)


def _plan_sheets(cases: list[Case]) -> list[Sheet]:
    """The structured assessment and plan of the youth's cases: needs, goals, planned services, plan reviews,
    and the closure approvals that acknowledged steps never done."""
    sheets = []
    cols = columns(
        ("case", _("Case")),
        ("area", _("Area of need")),
        ("finding", _("What was found")),
        ("added_by", _("Added by")),
        ("added_at", _("Added at")),
    )
    needs = CaseNeed.objects.filter(case__in=cases).select_related("case", "added_by").order_by("case", "id")
    rows = model_rows(needs, cols, {"case": lambda n: str(n.case), "added_by": lambda n: _person(n.added_by)})
    sheets.append(Sheet.of(_("Needs"), cols, rows, key="case_needs"))

    cols = columns(
        ("case", _("Case")),
        ("area", _("Area of need")),
        ("text", _("Goal")),
        ("created_by", _("Set by")),
        ("created_at", _("Set at")),
    )
    goals = (
        CaseGoal.objects.filter(case__in=cases).select_related("case", "created_by").order_by("case", "id")
    )
    rows = model_rows(
        goals, cols, {"case": lambda g: str(g.case), "created_by": lambda g: _person(g.created_by)}
    )
    sheets.append(Sheet.of(_("Goals"), cols, rows, key="case_goals"))

    cols = columns(
        ("case", _("Case")),
        ("description", _("Service or step")),
        ("goal", _("Goal")),
        ("owner_bureau", _("Owner bureau")),
        ("owner_user", _("Owner")),
        ("due_on", _("Due")),
        ("status", _("Status")),
        ("not_done_reason", _("Why it was not done")),
        ("created_by", _("Planned by")),
        ("created_at", _("Planned at")),
    )
    services = (
        PlannedService.objects.filter(case__in=cases)
        .select_related("case", "goal", "owner_bureau", "owner_user", "created_by")
        .order_by("case", "due_on", "id")
    )
    rows = model_rows(
        services,
        cols,
        {
            "case": lambda s: str(s.case),
            "goal": lambda s: s.goal.text if s.goal_id else "",
            "owner_bureau": lambda s: str(s.owner_bureau) if s.owner_bureau_id else "",
            "owner_user": lambda s: _person(s.owner_user),
            "created_by": lambda s: _person(s.created_by),
        },
    )
    sheets.append(Sheet.of(_("Planned services"), cols, rows, key="planned_services"))

    cols = columns(
        ("case", _("Case")),
        ("reviewed_on", _("Reviewed on")),
        ("note", _("What the review concluded")),
        ("reviewed_by", _("Reviewed by")),
    )
    reviews = CasePlanReview.objects.filter(case__in=cases).select_related("case", "reviewed_by")
    rows = model_rows(
        reviews.order_by("case", "reviewed_on", "id"),
        cols,
        {"case": lambda r: str(r.case), "reviewed_by": lambda r: _person(r.reviewed_by)},
    )
    sheets.append(Sheet.of(_("Plan reviews"), cols, rows, key="case_plan_reviews"))

    cols = columns(
        ("case", _("Case")),
        ("at", _("When")),
        ("by", _("Approved by")),
        ("steps", _("Steps not done")),
    )
    acks = ClosureAcknowledgement.objects.filter(case__in=cases).select_related("case", "by").order_by("at")
    rows = model_rows(
        acks,
        cols,
        {
            "case": lambda a: str(a.case),
            "by": lambda a: _person(a.by),
            "steps": lambda a: "; ".join(
                f"{s.get('description', '')} ({s.get('status', '')})" for s in a.steps
            ),
        },
    )
    sheets.append(Sheet.of(_("Closure acknowledgements"), cols, rows, key="closure_acknowledgements"))
    return sheets


_LONG_AGO = timezone.make_aware(dt.datetime(1900, 1, 1))


def _day_start(day: dt.date | None) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min)) if day else _LONG_AGO


def _entries_with_a_reason_left(entries: list[AuditEntry], youth_ids: list[int]) -> list[AuditEntry]:
    """The entries of case workers and counsellors that a reason still on record explains: something of the
    youth that still exists and that the worker's bureau, school or self had by then (a timeline event the
    bureau owns, from the day it knew of it; a case it leads or they carry; a referral to or from it or to
    them; an alert routed to it; an enrolment at their school; their own access by stated purpose). A view
    whose only reason was erased by sealing (an alert on a sealed contact, the referral it led to) would tell
    the youth, a guardian or a court that the bureau once had something, so it is left out like the objects
    themselves. Entries of stewards, auditors, administrators and the system stay: their reason is their
    office, not a record. A membership ended since still explains what the worker did while it lasted."""
    user_ids = {e.user_id for e in entries if e.user_id}
    bureaus_of: dict[int, set[int]] = defaultdict(set)
    schools_of: dict[int, set[int]] = defaultdict(set)
    workers = set()
    for user_id, bureau_id, school_id, role in Membership.objects.filter(user_id__in=user_ids).values_list(
        "user_id", "bureau_id", "school_id", "role"
    ):
        bureaus_of[user_id].add(bureau_id)
        if school_id:
            schools_of[user_id].add(school_id)
        if role in CASEWORK_ROLES:
            workers.add(user_id)
    # (when the reason began, bureau or None, user or None, school or None)
    reasons: list[tuple] = []
    for known, bureau in Event.objects.filter(youth_id__in=youth_ids).values_list(
        "knowledge_date", "owning_bureau_id"
    ):
        reasons.append((_day_start(known), bureau, None, None))
    for at, bureau, user in Case.objects.filter(youth_id__in=youth_ids).values_list(
        "opened_at", "lead_bureau_id", "assignee_id"
    ):
        reasons += [(at, bureau, None, None), (at, None, user, None)]
    for at, a, b, user in Referral.objects.filter(youth_id__in=youth_ids).values_list(
        "created_at", "from_bureau_id", "to_bureau_id", "to_user_id"
    ):
        reasons += [(at, a, None, None), (at, b, None, None), (at, None, user, None)]
    for at, bureau in Alert.objects.filter(youth_id__in=youth_ids).values_list("created_at", "routed_to_id"):
        reasons.append((at, bureau, None, None))
    for at, user in AccessGrant.objects.filter(youth_id__in=youth_ids).values_list("granted_at", "user_id"):
        reasons.append((at, None, user, None))
    for enrolled, school in Enrollment.objects.filter(youth_id__in=youth_ids).values_list(
        "enrolled_on", "school_id"
    ):
        reasons.append((_day_start(enrolled), None, None, school))

    def explained(entry: AuditEntry) -> bool:
        if entry.user_id not in workers:
            return True
        bureaus, schools = bureaus_of[entry.user_id], schools_of[entry.user_id]
        return any(
            at <= entry.at
            and (bureau in bureaus or (user is not None and user == entry.user_id) or school in schools)
            for at, bureau, user, school in reasons
        )

    return [entry for entry in entries if explained(entry)]


def _entries_about_what_exists(entries: Iterable[AuditEntry]) -> list[AuditEntry]:
    """The access-log entries that name no object, or an object still in the database. An entry about an
    object that is gone (a sealed alert, the case opened on it, its decisions, referrals, interventions,
    notifications and events, or anything purged by retention) would tell that it existed, so it is left out.
    Existence is read through the default manager, so a sealed event (hidden there) counts as gone.
    An entry naming a model object whose id cannot be read is left out too: it cannot be shown to exist."""
    entries = list(entries)
    models_by_name = {m._meta.model_name: m for m in apps.get_models()}
    wanted: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        if entry.object_id and entry.object_type in models_by_name:
            wanted[entry.object_type].add(entry.object_id)
    existing: dict[str, set[str]] = {}
    for name, ids in wanted.items():
        model = models_by_name[name]
        pk_field = model._meta.pk
        readable = []
        for raw in ids:
            try:
                readable.append(pk_field.to_python(raw))
            except (ValidationError, TypeError, ValueError):
                continue
        existing[name] = {
            str(pk) for pk in model._default_manager.filter(pk__in=readable).values_list("pk", flat=True)
        }
    return [
        entry
        for entry in entries
        if not (entry.object_id and entry.object_type in models_by_name)
        or entry.object_id in existing.get(entry.object_type, set())
    ]


# ---------------------------------------------------------------------------------------------------------
# The export
# ---------------------------------------------------------------------------------------------------------


def export_subject_access(
    youth: Youth, fmt: str, actor: Actor, *, reference: str, basis: str, basis_note: str = ""
) -> ExportFile:
    """Everything held about ``youth`` as an XLSX workbook (one sheet per category) or JSON, watermarked
    and logged with the request reference and legal basis."""
    holdings = collect(youth)
    return render_export(
        holdings.sheets,
        fmt,
        actor,
        title=_("Subject access: %(youth)s") % {"youth": youth.public_id},
        query={"youth": youth.public_id, "reference": reference, "basis": basis},
        object_type="subject_access",
        filename_stem=f"subject-access-{youth.public_id}",
        youth=youth,
        reference=reference,
        detail={"basis": basis, "basis_note": basis_note},
    )
