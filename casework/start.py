"""The start page's panels: each person's start page is their work (issue 17; docs/start-pages.md).

Casework is the ground floor and imports neither ``integrations`` nor ``riskmodel``, yet the start page shows
their work too. So each app registers the panels it knows how to build, here, from its ``AppConfig.ready()``
(``integrations/start_panels.py``, ``riskmodel/start_panels.py``, ``accounts/start_panels.py``); casework's own
panels (supervisors, the secretariat, auditors) are registered at the end of this module.

A panel kind is registered with ``shown_to(user)``, a question answered by ``casework.access.policy`` (who the
work belongs to), and ``build(user, now)``, which reads through the same selectors and filters as the page the
panel links to, so its count is that page's count for this user and never names a record they may not read.
A panel is shown even when nothing waits, and says so in words, with one sentence on why this work is the
reader's. Panels whose lines name youth are logged like every other list (``log_panels``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from casework.access import policy
from casework.access.audit import Actor, record_list
from casework.models import AlertStatus, AuditAction, MeetingStatus

# Lines a panel lists at most; the page it links to has the rest.
MAX_LINES = 8
# The access log's panels look back this many days (the linked page is filtered to the same days).
AUDIT_DAYS = 7
# The object type the start page's lists are logged under (the caseworkers' dashboard uses it too).
LOGGED_AS = "dashboard"


def when(value: dt.datetime | dt.date | None) -> str:
    """A date or a time as every page shows it: Taipei time, ``YYYY-MM-DD HH:MM``."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value.strftime("%Y-%m-%d")


@dataclass(frozen=True)
class Line:
    """One piece of waiting work, linked to where it is done."""

    text: str
    url: str = ""
    when: str = ""
    flag: str = ""  # a short label in front of the line ("Child-protection report")
    urgent: bool = False
    note: str = ""


@dataclass(frozen=True)
class Panel:
    """One kind of work on a person's start page."""

    key: str
    title: str
    why: str  # one sentence: why this work is the reader's
    url: str  # the page where the work is done; its list shows ``count`` rows for this reader
    link_text: str
    count: int
    empty: str  # said plainly when nothing waits
    lines: tuple[Line, ...] = ()
    summary: str = ""  # a plain sentence under the reason ("Last purge: …")
    warning: str = ""  # a sentence that must be read first ("2 of them are child-protection reports")
    urgent: bool = False
    links: tuple[tuple[str, str], ...] = ()  # further (url, text) links
    youth_ids: tuple[str, ...] = ()  # youth named on the panel (logged)
    names_records: bool = False  # lines name youth or people's records: the panel is logged as a list
    lines_are_rows: bool = True  # each line is one of the counted rows (so "showing n of count" is true)

    @property
    def is_empty(self) -> bool:
        return self.count == 0 and not self.lines

    @property
    def rows_not_listed(self) -> bool:
        """More rows are counted than listed: the page it links to has the rest."""
        return self.lines_are_rows and self.count > len(self.lines)


@dataclass(frozen=True)
class PanelKind:
    key: str
    order: int
    shown_to: Callable[[object], bool]
    build: Callable[[object, dt.datetime], Panel]


_KINDS: dict[str, PanelKind] = {}


def register(
    key: str,
    *,
    order: int,
    shown_to: Callable[[object], bool],
    build: Callable[[object, dt.datetime], Panel],
) -> None:
    """Add (or replace: ``ready()`` may run more than once) a kind of panel."""
    _KINDS[key] = PanelKind(key=key, order=order, shown_to=shown_to, build=build)


def registered() -> list[str]:
    return [k.key for k in sorted(_KINDS.values(), key=lambda k: (k.order, k.key))]


def panels_for(user, *, now: dt.datetime | None = None) -> list[Panel]:
    """The panels of every kind whose work is this user's, in the registered order."""
    now = now or timezone.now()
    kinds = sorted(_KINDS.values(), key=lambda k: (k.order, k.key))
    return [kind.build(user, now) for kind in kinds if kind.shown_to(user)]


def log_panels(actor: Actor, panels: list[Panel]) -> None:
    """Each panel that lists records is one list in the access log: which panel, how many lines, which youth."""
    for panel in panels:
        if panel.names_records and panel.lines:
            record_list(
                actor,
                LOGGED_AS,
                count=len(panel.lines),
                query={"panel": panel.key, "youth": sorted(set(panel.youth_ids))},
            )


def with_query(url_name: str, params: dict[str, str], *args) -> tuple[str, QueryDict]:
    """A page's address with its filter, and the same filter as the page's filterset reads it."""
    query = QueryDict(mutable=True)
    query.update(params)
    return f"{reverse(url_name, args=args or None)}?{query.urlencode()}", query


# ---------------------------------------------------------------------------------------------------------
# Casework's own panels
# ---------------------------------------------------------------------------------------------------------


def _is_supervisor(user) -> bool:
    return bool(policy.principal_for(user).supervisor_bureau_ids)


def closures_panel(user, now: dt.datetime) -> Panel:
    """Closure requests this supervisor may decide: the same rows as "Closure to approve" on My tasks."""
    from casework.cases import worklist

    tasks = sorted(
        worklist.closures_to_approve(user, today=timezone.localdate(now)), key=lambda t: (t.due, t.url)
    )
    lines = tuple(
        Line(
            text=f"{t.youth_public_id} · {t.case_label}",
            url=t.url,
            when=when(t.due),
            flag=_("overdue") if t.overdue else "",
            urgent=t.overdue,
            note=t.detail,
        )
        for t in tasks[:MAX_LINES]
    )
    return Panel(
        key="closures",
        title=_("Closures waiting for your approval"),
        why=_(
            "A closure comes to you when a worker of a bureau you supervise asks to close a case; you decide "
            "those you never carried and did not ask to close yourself."
        ),
        url=reverse("my-tasks"),
        link_text=_("Decide them from My tasks"),
        count=len(tasks),
        empty=_("No closures waiting for your approval."),
        lines=lines,
        youth_ids=tuple(t.youth_public_id for t in tasks[:MAX_LINES]),
        names_records=True,
    )


def escalations_panel(user, now: dt.datetime) -> Panel:
    """Escalated alerts, exactly as the alert list filtered to "Escalated" shows them to this user."""
    from casework.filters import AlertFilter

    url, query = with_query("alert-list", {"status": AlertStatus.ESCALATED})
    alerts = AlertFilter(query, queryset=policy.visible_alerts(user)).qs.select_related("youth", "routed_to")
    shown = list(alerts.order_by("due_at", "pk")[:MAX_LINES])
    return Panel(
        key="escalations",
        title=_("Escalated alerts"),
        why=_(
            "An alert routed to a bureau you supervise is escalated to you when its deadline passes without a "
            "decision."
        ),
        url=url,
        link_text=_("Open the escalated alerts"),
        count=alerts.count(),
        empty=_("No escalated alerts."),
        lines=tuple(
            Line(
                text=f"{a.youth.public_id} · {a.label}",
                url=f"/triage/alerts/{a.pk}/",
                when=when(a.due_at),
                note=a.routed_to.display_name,
                urgent=True,
            )
            for a in shown
        ),
        youth_ids=tuple(a.youth.public_id for a in shown),
        names_records=True,
    )


def access_reviews_panel(user, now: dt.datetime) -> Panel:
    """Accesses by stated purpose awaiting review, as the review list filtered to "Awaiting review" shows."""
    from casework.access.forms import AccessGrantFilter

    url, query = with_query("access-review-list", {"state": "awaiting"})
    grants = AccessGrantFilter(query, queryset=policy.visible_access_grants(user)).qs.select_related(
        "user", "bureau", "youth"
    )
    shown = list(grants.order_by("granted_at", "pk")[:MAX_LINES])
    if policy.principal_for(user).has_role("auditor"):
        why = _(
            "Auditors may review every access by stated purpose: independent oversight, and the only reviewer "
            "when a bureau has a single supervisor."
        )
    else:
        why = _(
            "When a worker of a bureau you supervise opens a record by stating a purpose, you review whether it "
            "was justified (never your own)."
        )
    lines = []
    for g in shown:
        own = g.user_id == user.pk
        lines.append(
            Line(
                text=f"{g.youth.public_id} · {g.get_purpose_code_display()}",
                url=reverse("access-review-detail", args=[g.pk]),
                when=when(g.granted_at),
                note=f"{g.user.get_full_name() or g.user.get_username()} · {g.bureau.display_name}",
                flag=_("your own: another reviews it") if own else "",
            )
        )
    return Panel(
        key="access_reviews",
        title=_("Accesses by stated purpose to review"),
        why=why,
        url=url,
        link_text=_("Open the access reviews"),
        count=grants.count(),
        empty=_("No accesses waiting for review."),
        lines=tuple(lines),
        youth_ids=tuple(g.youth.public_id for g in shown),
        names_records=True,
    )


def meeting_shares_panel(user, now: dt.datetime) -> Panel:
    """Meeting shares awaiting review: the rows the share list counts as awaiting."""
    shares = [
        s
        for s in policy.visible_meeting_shares(user)
        .select_related("meeting", "bureau", "youth", "granted_by")
        .order_by("granted_at", "pk")
        if s.awaits_review
    ]
    shown = shares[:MAX_LINES]
    return Panel(
        key="meeting_shares",
        title=_("Meeting shares to review"),
        why=_(
            "The committee may share a record with a bureau for one meeting; an auditor or a committee "
            "supervisor who did not make the share reviews it."
        ),
        url=reverse("meeting-share-list"),
        link_text=_("Open the meeting shares"),
        count=len(shares),
        empty=_("No meeting shares waiting for review."),
        lines=tuple(
            Line(
                text=f"{s.youth.public_id} · {s.bureau.display_name}",
                url=reverse("meeting-share-detail", args=[s.pk]),
                when=when(s.granted_at),
                note=s.meeting.title,
                flag=_("your own: another reviews it") if s.granted_by_id == user.pk else "",
            )
            for s in shown
        ),
        youth_ids=tuple(s.youth.public_id for s in shown),
        names_records=True,
    )


def meetings_panel(user, now: dt.datetime) -> Panel:
    """Meetings not yet held (minutes still open), soonest first; one whose day has passed needs its minutes."""
    planned = policy.visible_meetings(user).filter(status=MeetingStatus.PLANNED).order_by("starts_at", "pk")
    shown = list(planned[:MAX_LINES])
    lines = []
    for m in shown:
        items = m.items.filter(removed_at__isnull=True).count()
        past = m.starts_at < now
        lines.append(
            Line(
                text=m.title,
                url=reverse("meeting-detail", args=[m.pk]),
                when=when(m.starts_at),
                flag=_("minutes still open") if past else "",
                urgent=past,
                note=ngettext("%(n)s agenda item", "%(n)s agenda items", items) % {"n": items},
            )
        )
    return Panel(
        key="meetings",
        title=_("Next liaison meetings"),
        why=_(
            "The committee's secretariat and supervisors prepare the liaison meetings: the agenda, the "
            "bureaus' packs, the shares and the minutes."
        ),
        url=reverse("meeting-list"),
        link_text=_("Open the liaison meetings"),
        count=planned.count(),
        empty=_("No meeting is scheduled. Schedule the next one from the meetings page."),
        lines=tuple(lines),
    )


def action_items_panel(user, now: dt.datetime) -> Panel:
    """Open action items of every meeting (those who run meetings see them all), earliest due first."""
    today = timezone.localdate(now)
    open_items = (
        policy.visible_action_items(user)
        .filter(done_at__isnull=True)
        .select_related("meeting", "owner_bureau", "owner_user")
        .order_by("due_on", "pk")
    )
    shown = list(open_items[:MAX_LINES])
    return Panel(
        key="action_items",
        title=_("Open action items"),
        why=_(
            "A meeting's action items stay open until their owner says they are done; open ones come back on "
            "the next meeting's proposed agenda, so you follow them up."
        ),
        url=reverse("meeting-list"),
        link_text=_("Open the liaison meetings"),
        count=open_items.count(),
        empty=_("No open action items."),
        lines=tuple(
            Line(
                text=a.text,
                url=f"{reverse('meeting-detail', args=[a.meeting_id])}#item-{a.item_id}",
                when=when(a.due_on),
                flag=_("overdue") if a.due_on < today else "",
                urgent=a.due_on < today,
                note=f"{a.owner_label} · {a.meeting.title}",
            )
            for a in shown
        ),
        names_records=True,
    )


def _audit_panel(user, now: dt.datetime, *, action: str) -> tuple[str, int, tuple[Line, ...]]:
    from casework.filters import AuditEntryFilter

    since = timezone.localdate(now) - dt.timedelta(days=AUDIT_DAYS - 1)
    url, query = with_query("audit-log", {"action": action, "since": since.isoformat()})
    entries = AuditEntryFilter(query, queryset=policy.visible_audit_entries(user)).qs
    shown = list(entries[:MAX_LINES])
    lines = tuple(
        Line(
            text=e.shown_path or e.object_type or "—",
            url=f"{reverse('audit-log')}?{query_string(username=e.username, action=action, since=since.isoformat())}",
            when=when(e.at),
            note=e.username or _("not signed in"),
        )
        for e in shown
    )
    return url, entries.count(), lines


def query_string(**params: str) -> str:
    """An address's query string (for the links of a panel's lines)."""
    query = QueryDict(mutable=True)
    query.update(params)
    return query.urlencode()


def denials_panel(user, now: dt.datetime) -> Panel:
    url, count, lines = _audit_panel(user, now, action=AuditAction.DENIED)
    return Panel(
        key="denials",
        title=_("Refused requests, last 7 days"),
        why=_(
            "Every refused page, record out of reach and refused write is in the access log; a run of them "
            "from one person is where probing shows first, so you read them before the rest of the log."
        ),
        url=url,
        link_text=_("Open these refusals in the audit log"),
        count=count,
        empty=_("No refused requests in the last 7 days."),
        lines=lines,
        names_records=True,
    )


def lockouts_panel(user, now: dt.datetime) -> Panel:
    url, count, lines = _audit_panel(user, now, action=AuditAction.LOCKOUT)
    return Panel(
        key="lockouts",
        title=_("Locked sign-ins, last 7 days"),
        why=_(
            "Five wrong passwords lock a sign-in for 30 minutes; you are told of each lockout, and a lockout of "
            "an account nobody has reported is where a guessed password shows."
        ),
        url=url,
        link_text=_("Open these lockouts in the audit log"),
        count=count,
        empty=_("No sign-ins were locked in the last 7 days."),
        lines=lines,
        names_records=True,
    )


register("closures", order=10, shown_to=_is_supervisor, build=closures_panel)
register("escalations", order=11, shown_to=_is_supervisor, build=escalations_panel)
register("access_reviews", order=12, shown_to=policy.can_read_access_reviews, build=access_reviews_panel)
register("meeting_shares", order=13, shown_to=policy.can_read_meeting_shares, build=meeting_shares_panel)
register("meetings", order=20, shown_to=policy.can_run_meetings, build=meetings_panel)
register("action_items", order=21, shown_to=policy.can_run_meetings, build=action_items_panel)
register("denials", order=60, shown_to=policy.can_read_audit_log, build=denials_panel)
register("lockouts", order=61, shown_to=policy.can_read_audit_log, build=lockouts_panel)


__all__ = ["Line", "Panel", "log_panels", "panels_for", "register", "registered", "when", "with_query"]
