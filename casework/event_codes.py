"""Plain-language labels for the codes the bureaus' feeds put on timeline events (FEEDS.md).

Feeds carry codes such as ``late_night_loitering`` or ``neglect;unattended``; people read labels. A code not in
the catalogue is shown as it came, so a new code from a bureau is never hidden.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

CODE_LABELS = {
    # school.absences kind
    "excused": _("excused"),
    "unexcused": _("unexcused"),
    # school.dropouts reason_code
    "individual": _("individual reasons"),
    "family": _("family reasons"),
    "school": _("school reasons"),
    "peer": _("peer influence"),
    "social": _("social environment"),
    # school.incidents category (校安通報)
    "accident": _("accident"),
    "safety": _("safety"),
    "violence_deviance": _("violence or deviance"),
    "discipline_conflict": _("discipline conflict"),
    "disaster": _("disaster"),
    "illness": _("illness"),
    # police.contacts code
    "fraud_mule": _("fraud money mule"),
    "theft": _("theft"),
    "assault": _("assault"),
    "drugs": _("drugs"),
    "vandalism": _("vandalism"),
    "intimidation": _("intimidation"),
    "weapon": _("carrying a weapon"),
    "late_night_loitering": _("late-night loitering"),
    "smoking": _("smoking"),
    "truancy_loitering": _("loitering while truant"),
    "gang_association": _("gang association"),
    "runaway": _("runaway"),
    # welfare.reports reason_codes
    "physical_abuse": _("physical abuse"),
    "neglect": _("neglect"),
    "emotional_abuse": _("emotional abuse"),
    "sexual_abuse": _("sexual abuse"),
    "unattended": _("left unattended"),
    "drug_exposure": _("drug exposure"),
    "prohibited_venue": _("prohibited venue"),
    "economic_hardship": _("economic hardship"),
    "economic": _("economic hardship"),
    "parent_illness": _("parent's illness"),
    "domestic_violence": _("domestic violence"),
    "caregiver_substance_use": _("caregiver's substance use"),
    "single_parent": _("single parent"),
    "caregiver_incarcerated": _("caregiver incarcerated"),
    "housing_instability": _("housing instability"),
    "child_protection": _("child protection"),
    # welfare.assistance status
    "low_income": _("low-income household"),
    "mid_low_income": _("middle-to-low-income household"),
    "other": _("other"),
}

_TIER = re.compile(r"^tier\s*([123])$")
TIER_LABELS = {
    "1": _("tier 1 (developmental)"),
    "2": _("tier 2 (intervention)"),
    "3": _("tier 3 (treatment)"),
}


def code_label(code: str) -> str:
    """The label for an event code; ``;``-joined codes become a list; unknown codes are shown as given."""
    if not code:
        return ""
    parts = [p.strip() for p in code.split(";") if p.strip()]
    labels = []
    for part in parts:
        tier = _TIER.match(part)
        if tier:
            labels.append(str(TIER_LABELS[tier.group(1)]))
        else:
            labels.append(str(CODE_LABELS.get(part, part)))
    return pgettext("list separator", ", ").join(labels)
