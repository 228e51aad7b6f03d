"""证书打印 list and 导出: indexes for the list queries, and who an export belongs to.

- certificate (exporter_id, issue_date, id): the list ordered by 签发日期 with a stable tie-break;
- certificate (exporter_id, cert_type, issue_date, id): the same, filtered by 证书类别;
- authorisation (enterprise_id, status, receipt_at): the latest successful authorisation, read
  by the self-printability rule on every list request;
- export_task: the view that asked (principal_id in an agent view), a message, updated_at, and
  an index for the sweep of expired files.
"""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("export_task", "principal_id", IntegerField(null=True)),
        migrator.add_column("export_task", "message", TextField(default="")),
        migrator.add_column("export_task", "updated_at", DateTimeField(null=True)),
        migrator.add_index("export_task", ("status", "expires_at"), False),
        migrator.add_index("certificate", ("exporter_id", "issue_date", "id"), False),
        migrator.add_index("certificate", ("exporter_id", "cert_type", "issue_date", "id"), False),
        migrator.add_index("authorisation", ("enterprise_id", "status", "receipt_at"), False),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index("authorisation", "authorisation_enterprise_id_status_receipt_at"),
        migrator.drop_index("certificate", "certificate_exporter_id_cert_type_issue_date_id"),
        migrator.drop_index("certificate", "certificate_exporter_id_issue_date_id"),
        migrator.drop_index("export_task", "export_task_status_expires_at"),
        migrator.drop_column("export_task", "updated_at"),
        migrator.drop_column("export_task", "message"),
        migrator.drop_column("export_task", "principal_id"),
    )
