"""The administrators' start page (issue 17; docs/start-pages.md): account changes waiting for a second
administrator, and sign-ins locked now. Registered with ``casework.start`` from ``AccountsConfig.ready()``.

Both panels link to the administration pages where the work is done (the change requests filtered to those
pending; the account-security list), and count what those pages list.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Max, Sum
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from casework import start
from casework.access import policy
from casework.start import Line, Panel, when

from .models import CHANGE_REQUEST_VALID_HOURS, AccountChangeRequest, AccountChangeStatus


def pending_changes(now: dt.datetime):
    """Requests still waiting: pending and not lapsed (the change list marks lapsed ones when it is opened)."""
    return AccountChangeRequest.objects.filter(
        status=AccountChangeStatus.PENDING,
        proposed_at__gt=now - dt.timedelta(hours=CHANGE_REQUEST_VALID_HOURS),
    ).select_related("target", "proposed_by")


def account_changes_panel(user, now: dt.datetime) -> Panel:
    changes = list(pending_changes(now).order_by("proposed_at", "id"))
    lines = []
    for c in changes[: start.MAX_LINES]:
        own = user.pk in (c.proposed_by_id, c.target_id)
        lines.append(
            Line(
                text=f"{c.get_kind_display()} · {c.target.get_username()}",
                url=reverse("admin:accounts_accountchangerequest_change", args=[c.pk]),
                when=when(c.proposed_at),
                flag=_("yours: another administrator approves it") if own else "",
                urgent=not own,
                note=_("proposed by %(name)s; lapses %(at)s")
                % {"name": c.proposed_by.get_username(), "at": when(c.lapses_at)},
            )
        )
    mine = sum(1 for c in changes if user.pk not in (c.proposed_by_id, c.target_id))
    return Panel(
        key="account_changes",
        title=_("Account changes waiting for a second administrator"),
        why=_(
            "Every role given and every change to a privileged account's password or second factor is applied "
            "only when a second administrator, neither the proposer nor the account holder, approves it within "
            "a day."
        ),
        url=f"{reverse('admin:accounts_accountchangerequest_changelist')}?status__exact={AccountChangeStatus.PENDING}",
        link_text=_("Open the account change requests"),
        count=len(changes),
        empty=_("No account changes waiting."),
        lines=tuple(lines),
        warning=ngettext("%(n)s of them you may approve.", "%(n)s of them you may approve.", mine)
        % {"n": mine}
        if changes
        else "",
        urgent=bool(mine),
    )


def locked_sign_ins(now: dt.datetime) -> list[dict]:
    """Usernames whose failed sign-ins lock them out now (django-axes' records within the cool-off)."""
    from axes.models import AccessAttempt

    since = now - settings.AXES_COOLOFF_TIME
    rows = (
        AccessAttempt.objects.filter(attempt_time__gte=since)
        .values("username")
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .order_by("-last", "username")
    )
    return list(rows)


def locked_panel(user, now: dt.datetime) -> Panel:
    locked = locked_sign_ins(now)
    base = reverse("admin:accounts_accountsecurity_changelist")
    return Panel(
        key="locked_sign_ins",
        title=_("Locked sign-ins"),
        why=_(
            "Five wrong passwords lock a sign-in for 30 minutes; an administrator unlocks it early once the "
            "holder is known to be the one asking."
        ),
        url=base,
        link_text=_("Open account security"),
        count=len(locked),
        empty=_("No sign-ins are locked now."),
        lines=tuple(
            Line(
                text=row["username"] or "—",
                url=f"{base}?{start.query_string(q=row['username'] or '')}",
                when=when(row["last"]),
                note=ngettext("%(n)s failed sign-in", "%(n)s failed sign-ins", row["failures"])
                % {"n": row["failures"]},
            )
            for row in locked[: start.MAX_LINES]
        ),
    )


def register() -> None:
    start.register("account_changes", order=50, shown_to=policy.can_administer, build=account_changes_panel)
    start.register("locked_sign_ins", order=51, shown_to=policy.can_administer, build=locked_panel)
