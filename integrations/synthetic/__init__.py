"""Synthetic Taoyuan-like city: youth, families, schools and the bureau feeds about them, with ground truth.

Pure Python (numpy, pypinyin); no Django. Entry point: :func:`generate_city`; command line:
``python -m integrations.synthetic --youth N --years Y --seed S --out DIR``.

The feeds follow ``FEEDS.md`` (one ``<feed>.csv`` per feed, UTF-8 with or without BOM or CP950, ISO or
ROC dates); ``DIR/truth/README.md`` documents the ground truth, including ``monthly_risk.csv``, the true
probability of an adverse outcome in the next 12 months for every youth and month.
"""

from integrations.synthetic.city import DEFAULT_START, CityReport, generate_city
from integrations.synthetic.dirt import DirtRates
from integrations.synthetic.feeds import FEED_COLUMNS, FEEDS, PERSON_FEEDS
from integrations.synthetic.national_id import checksum_ok

__all__ = [
    "DEFAULT_START",
    "FEEDS",
    "FEED_COLUMNS",
    "PERSON_FEEDS",
    "CityReport",
    "DirtRates",
    "checksum_ok",
    "generate_city",
]
