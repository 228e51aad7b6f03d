"""Box 13 of Form E (and the RCEP flags): what customs approved about third-party invoicing,
exhibitions and back-to-back (movement) certificates, so the layout can tick them."""
from peewee import BooleanField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("certificate", "third_party_invoicing", BooleanField(default=False)),
        migrator.add_column("certificate", "exhibition", BooleanField(default=False)),
        migrator.add_column("certificate", "back_to_back", BooleanField(default=False)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("certificate", "back_to_back"),
        migrator.drop_column("certificate", "exhibition"),
        migrator.drop_column("certificate", "third_party_invoicing"),
    )
