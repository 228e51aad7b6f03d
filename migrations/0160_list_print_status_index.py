"""证书打印 list filtered by type and 打印状态 (the usual "待打印 of my 一般原产地证书" query): an
index whose key also holds print_status, so the capped count reads only the matching entries
(it walked every entry of the exporter's type, about twice the LIST_COUNT_CAP matches, and
checked each one's print_status) and the page's rows come in index order with no filtering.

The other columns the list filters on ride along (INCLUDE on PostgreSQL, trailing key columns on
SQLite), as in 0080: the count reads the index alone.
"""
NAME = "certificate_list_by_type_print"
KEYS = "exporter_id, cert_type, print_status, issue_date, id"
CARRIED = "approved_at, archive_status, layout_status"


def up(migrator, db):
    from peewee import PostgresqlDatabase
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql(f"CREATE INDEX IF NOT EXISTS {NAME} ON certificate ({KEYS}) INCLUDE ({CARRIED})")
    else:
        db.execute_sql(f"CREATE INDEX IF NOT EXISTS {NAME} ON certificate ({KEYS}, {CARRIED})")


def down(migrator, db):
    db.execute_sql(f"DROP INDEX IF EXISTS {NAME}")
