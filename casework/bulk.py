"""Fast inserts for bulk writes (linkage, timelines): PostgreSQL's COPY where available, the ORM's bulk_create elsewhere."""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.db import connection


def copy_rows(model, columns: Sequence[str], rows: list[tuple], json_columns: Sequence[str] = ()) -> None:
    """Insert ``rows`` (tuples in the order of ``columns``, which are model field attnames). Values of
    ``json_columns`` are JSON text."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        table = model._meta.db_table
        names = ", ".join(f'"{model._meta.get_field(c).column}"' for c in columns)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    positions = [list(columns).index(c) for c in json_columns]
    objects = []
    for row in rows:
        row = list(row)
        for i in positions:
            row[i] = json.loads(row[i])
        objects.append(model(**dict(zip(columns, row, strict=True))))
    manager = getattr(model, "all_objects", model._default_manager)
    manager.bulk_create(objects, batch_size=2000)
