"""Emptying the records of the test database (for the round trip into an empty database)."""

from django.db import connection


def wipe_records() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE registry_civilrecord, registry_registerbook RESTART IDENTITY CASCADE")
