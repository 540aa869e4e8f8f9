"""Who changed a case last, and when: what a person whose save was refused as stale needs to hear.

A case carries a version; a save or move against an older version is refused (``services.update_case``,
``services.move_case``). The refusal alone leaves the person guessing, so pages (and the API) name the
change that came in between, from the record of it: the access log's update of the case, or an accepted
transfer, which hands the case over.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from casework.models import AuditAction, AuditEntry, Case, Referral, ReferralKind, ReferralStatus, User


@dataclass(frozen=True)
class LastChange:
    user: User | None
    at: dt.datetime
    version: int

    def who(self, viewer: User | None = None) -> str:
        if self.user is None:
            return _("An automatic process")
        if viewer is not None and self.user.pk == viewer.pk:
            return _("You (in another window or tab)")
        return self.user.get_full_name() or self.user.get_username()

    @property
    def when(self) -> str:
        return date_format(timezone.localtime(self.at), "Y-m-d H:i")


def last_change(case: Case) -> LastChange | None:
    """The latest recorded change of the case (None when it has not changed since it was opened)."""
    version = Case.objects.values_list("version", flat=True).get(pk=case.pk)
    update = (
        AuditEntry.objects.filter(action=AuditAction.UPDATE, object_type="case", object_id=str(case.pk))
        .order_by("-at", "-id")
        .values_list("user_id", "at")
        .first()
    )
    transfer = (
        Referral.objects.filter(case=case, kind=ReferralKind.TRANSFER, status=ReferralStatus.ACCEPTED)
        .exclude(responded_at=None)
        .order_by("-responded_at")
        .values_list("responded_by_id", "responded_at")
        .first()
    )
    candidates = [c for c in (update, transfer) if c is not None]
    if not candidates:
        return None
    user_id, at = max(candidates, key=lambda c: c[1])
    user = User.objects.filter(pk=user_id).first() if user_id else None
    return LastChange(user=user, at=at, version=version)


def conflict_message(case: Case, viewer: User | None, *, moved: bool = False) -> str:
    """The sentence shown when ``viewer``'s save (or, with ``moved``, status move) met a newer version."""
    change = last_change(case)
    if change is None:
        who, when = _("Someone else"), ""
    else:
        who, when = change.who(viewer), change.when
    if moved:
        text = _(
            "%(who)s changed this case at %(when)s, after you opened it, so your action was not carried out. "
            "Check the case as it is now, then try again."
        )
    else:
        text = _(
            "%(who)s changed this case at %(when)s, after you opened it, so your changes were not saved. "
            "Your text is kept in the form: compare it with the case as saved now, then save again to apply it."
        )
    return text % {"who": who, "when": when or _("an unrecorded time")}


def conflict_payload(case: Case, viewer: User | None, *, moved: bool = False) -> dict:
    """The body of an API 409: the sentence, who changed the case, when, and the version to edit against."""
    change = last_change(case)
    return {
        "detail": conflict_message(case, viewer, moved=moved),
        "changed_by": change.who(viewer) if change else None,
        "changed_at": change.at.isoformat() if change else None,
        "current_version": Case.objects.values_list("version", flat=True).get(pk=case.pk),
    }
