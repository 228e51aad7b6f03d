"""打印异常申请 and 证书下载: one open exception application per certificate, enforced by the
database (a partial unique index, on SQLite and PostgreSQL alike); the signed original that a
download record served."""
from peewee import CharField


def up(migrator, db):
    migrator.migrate(migrator.add_column("download_record", "file_path", CharField(max_length=255, default="")))
    db.execute_sql(
        "CREATE UNIQUE INDEX exception_application_one_open ON exception_application (certificate_id) "
        "WHERE status IN ('submitted', 'accepted')")
    db.execute_sql("CREATE INDEX download_record_certificate_original ON download_record "
                   "(certificate_id, original)")


def down(migrator, db):
    db.execute_sql("DROP INDEX IF EXISTS download_record_certificate_original")
    db.execute_sql("DROP INDEX IF EXISTS exception_application_one_open")
    migrator.migrate(migrator.drop_column("download_record", "file_path"))
