"""``python -m riskmodel.indicators``: rewrite ``docs/indicators.md`` from the catalogue."""

from riskmodel.indicators.docs import write_docs

print(f"wrote {write_docs()}")
