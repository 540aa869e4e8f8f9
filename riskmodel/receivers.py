"""What the risk model does when casework says a youth's record changed (``casework.signals``).

A corrected record must not keep steering the youth's score: the youth is rescored at once with the active
model (if there is one) as of today. ``score_youth`` scores everyone in scope in one run so that ranks and
bands stay comparable across youth (a rank is a place in one run); it replaces today's run of the model, so
the youth gets a new score row with new reasons. It goes through the nightly scoring task, which runs in
the background where a broker is configured and at once where none is (tests, the demo).
"""

from __future__ import annotations

import logging

from django.dispatch import receiver
from django.utils import timezone

from casework.signals import youth_record_changed

log = logging.getLogger(__name__)


@receiver(youth_record_changed, dispatch_uid="riskmodel.rescore_changed_youth")
def rescore_changed_youth(sender, youth_ids=(), **kwargs) -> None:
    from .service import active_model
    from .tasks import score_nightly

    if not youth_ids or active_model() is None:
        return
    day = timezone.localdate().isoformat()
    try:
        score_nightly.delay(as_of=day)
    except Exception:
        # The correction itself is committed; the nightly run picks the youth up if this one cannot start.
        log.exception("rescoring after a record change could not be queued (youth %s)", list(youth_ids))
