"""What the risk model does when casework says a youth's record changed (``casework.signals``).

A corrected record must not keep steering the youth's score: the youth is rescored at once with the active
model (if there is one) as of today. A youth whose records a court sealed is rescored as of the latest run's
date instead, so that the run the triage queue reads is rewritten without the sealed record (its score for the
youth was removed with the sealing). ``score_youth`` scores everyone in scope in one run so that ranks and
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
def rescore_changed_youth(sender, youth_ids=(), sealed: bool = False, **kwargs) -> None:
    from .models import ScoringRun
    from .service import active_model
    from .tasks import score_nightly

    model = active_model()
    if not youth_ids or model is None:
        return
    day = timezone.localdate().isoformat()
    if sealed:
        latest = ScoringRun.objects.filter(model=model).order_by("-created_at", "-pk").first()
        if latest is not None:
            day = latest.as_of.isoformat()
    try:
        score_nightly.delay(as_of=day)
    except Exception:
        # The correction itself is committed; the nightly run picks the youth up if this one cannot start.
        log.exception("rescoring after a record change could not be queued (youth %s)", list(youth_ids))
