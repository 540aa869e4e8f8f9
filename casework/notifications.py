"""Messages into a person's or a bureau's inbox; every context sends through :func:`notify`."""

from __future__ import annotations

from django.db import IntegrityError, transaction


def notify(*, kind: str, dedupe_key: str = "", **fields) -> bool:
    """Put a message in an inbox: ``user``/``user_id`` or ``bureau``, with what it is about. A message with no
    recipient is not sent; with a dedupe key, a message already sent is not sent again."""
    from casework.models import Notification

    fields = {name: value for name, value in fields.items() if value is not None}
    if not {"user", "user_id", "bureau"} & set(fields):
        return False
    if dedupe_key and Notification.objects.filter(dedupe_key=dedupe_key).exists():
        return False
    try:
        with transaction.atomic():
            Notification.objects.create(kind=kind, dedupe_key=dedupe_key, **fields)
    except IntegrityError:
        return False
    return True
