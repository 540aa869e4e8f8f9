"""Signals casework offers to the apps that stand on it, so they can hear of changes without importing
each other.

``youth_record_changed``: a youth's record (timeline events) changed outside the nightly flow, e.g. a data
steward corrected an event. Sent after the change is committed, with ``youth_ids`` (a list of youth primary
keys). The risk model listens and rescores (``riskmodel.receivers``).
"""

from __future__ import annotations

from django.dispatch import Signal

youth_record_changed = Signal()
