"""The demo's upcoming liaison meeting: scheduled by the secretariat, with the agenda the platform proposes."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from casework.access.audit import Actor
from casework.clock import TAIPEI
from casework.meetings import services
from casework.models import Bureau, Meeting, MeetingStatus, User


def ensure_demo_meeting() -> Meeting | None:
    """One upcoming meeting next week at 14:00 Taipei (idempotent: none is added while one is planned)."""
    existing = Meeting.objects.filter(status=MeetingStatus.PLANNED, starts_at__gte=timezone.now()).first()
    if existing is not None:
        return existing
    secretariat = User.objects.filter(username="secretariat").first()
    chair = User.objects.filter(username="supervisor").first()
    if secretariat is None or chair is None:
        return None
    day = timezone.localdate() + dt.timedelta(days=7)
    invitees = list(User.objects.filter(username__in=["officer", "social"]))
    return services.schedule_meeting(
        actor=Actor(user=secretariat, path="demo:seed", purpose="demo data"),
        title="少年輔導聯繫會議（示範）",
        starts_at=dt.datetime.combine(day, dt.time(14, 0), tzinfo=TAIPEI),
        chair=chair,
        invited_bureaus=Bureau.objects.all(),
        invitees=invitees,
    )
