"""版式: remember which authorisation a stored layout carries and when 版式状态 last moved."""
from peewee import DateTimeField, IntegerField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("certificate", "layout_authorisation_id", IntegerField(null=True)),
        migrator.add_column("certificate", "layout_updated_at", DateTimeField(null=True)),
        migrator.add_index("certificate", ("layout_status", "layout_updated_at"), False),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index("certificate", "certificate_layout_status_layout_updated_at"),
        migrator.drop_column("certificate", "layout_updated_at"),
        migrator.drop_column("certificate", "layout_authorisation_id"),
    )
