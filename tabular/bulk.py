"""Inserting many new rows and their history rows fast, for imports.

On PostgreSQL the rows go in with COPY (ids drawn from the table's own sequence first, so
the history rows can point at them); Django's bulk_create spends most of its time building
SQL for 100,000 rows. Elsewhere (the SQLite demo) it falls back to django-simple-history's
bulk_create_with_history. Either way every new row gets its "+" history row.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import connection, models
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

# Values psycopg adapts natively; other field types go through Django's own preparation.
_PLAIN_FIELDS = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.DecimalField,
    models.DateField,
    models.DateTimeField,
    models.ForeignKey,
)


def insert_with_history(objects: list, model, *, user, reason: str) -> None:
    if not objects:
        return
    if connection.vendor != "postgresql":
        bulk_create_with_history(
            objects, model, batch_size=2000, default_user=user, default_change_reason=reason
        )
        return
    now = timezone.now()
    table = model._meta.db_table
    pk = model._meta.pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, pk.column, len(objects)],
        )
        for obj, (new_id,) in zip(objects, cursor.fetchall(), strict=True):
            obj.pk = new_id
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        for field in fields:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                for obj in objects:
                    setattr(obj, field.attname, now)
        _copy(cursor, table, [pk, *fields], objects)

        history = model.history.model
        tracked = {f.attname for f in [pk, *fields]}
        extra = {
            "history_date": now,
            "history_change_reason": reason,
            "history_type": "+",
            "history_user_id": user.pk if user else None,
        }
        history_fields = [
            f for f in history._meta.concrete_fields if f.attname in tracked or f.attname in extra
        ]
        with cursor.copy(
            f'COPY "{history._meta.db_table}" ({", ".join(_q(f.column) for f in history_fields)}) FROM STDIN'
        ) as copy:
            for obj in objects:
                copy.write_row(
                    [
                        extra[f.attname]
                        if f.attname in extra
                        else _value(f, getattr(obj, f.attname))
                        for f in history_fields
                    ]
                )


def _copy(cursor, table: str, fields: list, objects: list) -> None:
    columns = ", ".join(_q(f.column) for f in fields)
    with cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
        for obj in objects:
            copy.write_row([_value(f, getattr(obj, f.attname)) for f in fields])


def _value(field, value):
    if value is None or isinstance(field, _PLAIN_FIELDS) or isinstance(value, str | int | Decimal):
        return value
    return field.get_db_prep_save(value, connection)


def _q(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'
