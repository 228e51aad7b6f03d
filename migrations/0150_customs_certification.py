"""The issuing authority's certification as customs sent it with the approval: the office's
electronic visa seal and the authorised officer's name and signature (images in storage, printed
at their real size in the certification box); and, for an RCEP back-to-back certificate, the
original certificate's number and date."""
from peewee import CharField, DateField, DecimalField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("certificate", "visa_officer_name", CharField(max_length=64, default="")),
        migrator.add_column("certificate", "visa_seal_path", CharField(max_length=255, default="")),
        migrator.add_column("certificate", "visa_seal_width_mm", DecimalField(max_digits=5, decimal_places=1, default=0)),
        migrator.add_column("certificate", "visa_seal_height_mm", DecimalField(max_digits=5, decimal_places=1, default=0)),
        migrator.add_column("certificate", "visa_signature_path", CharField(max_length=255, default="")),
        migrator.add_column("certificate", "visa_signature_width_mm", DecimalField(max_digits=5, decimal_places=1, default=0)),
        migrator.add_column("certificate", "visa_signature_height_mm", DecimalField(max_digits=5, decimal_places=1, default=0)),
        migrator.add_column("certificate", "original_certificate_number", CharField(max_length=64, default="")),
        migrator.add_column("certificate", "original_certificate_date", DateField(null=True)),
    )


def down(migrator, db):
    migrator.migrate(*(migrator.drop_column("certificate", name) for name in (
        "original_certificate_date", "original_certificate_number", "visa_signature_height_mm",
        "visa_signature_width_mm", "visa_signature_path", "visa_seal_height_mm", "visa_seal_width_mm",
        "visa_seal_path", "visa_officer_name")))
