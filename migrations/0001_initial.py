"""Initial schema: every table of SPEC section 2.

Frozen copies of the models (playhouse.migrations); callable defaults such as utcnow are
supplied by the application models, not the database.
"""
from peewee import *


def up(migrator, db):
    class Enterprise(Model):
        uscc = CharField(unique=True, max_length=18)
        customs_code = CharField(unique=True, max_length=10)
        name_zh = CharField(max_length=200)
        name_en = CharField(max_length=300)
        address_en = TextField(default='')
        is_exporter = BooleanField(default=True)
        is_agent = BooleanField(default=False)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'enterprise'
    db.create_tables([Enterprise])

    class AgentAuthorisation(Model):
        principal = ForeignKeyField(Enterprise, on_delete='CASCADE')
        agent = ForeignKeyField(Enterprise, on_delete='CASCADE')
        granted_by = CharField(max_length=100)
        granted_at = DateTimeField()
        revoked_at = DateTimeField(null=True)
        revoked_by = CharField(max_length=100, default='')
        class Meta:
            database = db
            table_name = 'agent_authorisation'
            indexes = ((('agent', 'principal'), False),)
    db.create_tables([AgentAuthorisation])

    class AuditEvent(Model):
        at = DateTimeField(index=True)
        enterprise = ForeignKeyField(Enterprise, null=True, on_delete='SET NULL')
        actor = CharField(max_length=100)
        login = CharField(max_length=64, default='')
        action = CharField(index=True, max_length=64)
        target = CharField(max_length=100, default='')
        detail = TextField(default='')
        remote_addr = CharField(max_length=64, default='')
        class Meta:
            database = db
            table_name = 'audit_event'
    db.create_tables([AuditEvent])

    class Operator(Model):
        enterprise = ForeignKeyField(Enterprise, on_delete='CASCADE')
        name = CharField(max_length=50)
        id_number = CharField(max_length=18)
        phone = CharField(max_length=20, default='')
        is_legal_person = BooleanField(default=False)
        is_declarant = BooleanField(default=True)
        active = BooleanField(default=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'operator'
            indexes = ((('enterprise', 'id_number'), True),)
    db.create_tables([Operator])

    class Seal(Model):
        enterprise = ForeignKeyField(Enterprise, on_delete='CASCADE')
        owner = ForeignKeyField(Operator)
        name = CharField(max_length=100)
        seal_type = CharField(max_length=32, default='company')
        shape = CharField(max_length=32)
        status = CharField(max_length=32, default='enabled')
        valid_from = DateField()
        valid_to = DateField()
        height_mm = DecimalField(max_digits=5, decimal_places=1)
        width_mm = DecimalField(max_digits=5, decimal_places=1)
        dpi = IntegerField()
        image_path = CharField()
        original_path = CharField()
        image_sha256 = CharField(max_length=64)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        deleted_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'seal'
            indexes = ((('enterprise', 'name'), False),)
    db.create_tables([Seal])

    class Signature(Model):
        enterprise = ForeignKeyField(Enterprise, on_delete='CASCADE')
        declarant = ForeignKeyField(Operator)
        name = CharField(max_length=100)
        status = CharField(max_length=32, default='enabled')
        height_mm = DecimalField(max_digits=5, decimal_places=1)
        width_mm = DecimalField(max_digits=5, decimal_places=1)
        dpi = IntegerField()
        image_path = CharField()
        original_path = CharField()
        image_sha256 = CharField(max_length=64)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        deleted_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'signature'
    db.create_tables([Signature])

    class Authorisation(Model):
        enterprise = ForeignKeyField(Enterprise, on_delete='CASCADE')
        seal = ForeignKeyField(Seal)
        signature = ForeignKeyField(Signature)
        requested_by = CharField(max_length=100)
        submitted_at = DateTimeField(index=True)
        status = CharField(max_length=32, default='pending')
        receipt_at = DateTimeField(null=True)
        receipt_message = TextField(default='')
        superseded_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'authorisation'
    db.create_tables([Authorisation])

    class Card(Model):
        number = CharField(unique=True, max_length=32)
        kind = CharField(max_length=32)
        enterprise = ForeignKeyField(Enterprise, on_delete='CASCADE')
        holder = ForeignKeyField(Operator, on_delete='CASCADE')
        valid_from = DateField()
        valid_to = DateField()
        pin_hash = CharField(max_length=200)
        failed_pin_count = IntegerField(default=0)
        locked_at = DateTimeField(null=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'card'
    db.create_tables([Card])

    class CertificateType(Model):
        code = CharField(primary_key=True, max_length=4)
        name_zh = CharField(max_length=100)
        name_en = CharField(max_length=200)
        form_family = CharField(max_length=8)
        self_print = BooleanField(default=True)
        e_download = BooleanField(default=False)
        sort_order = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'certificate_type'
    db.create_tables([CertificateType])

    class Certificate(Model):
        number = CharField(unique=True, max_length=20)
        cert_type = ForeignKeyField(CertificateType, column_name='cert_type')
        invoice_number = CharField(index=True, max_length=64)
        invoice_date = DateField(null=True)
        applicant = ForeignKeyField(Enterprise)
        exporter = ForeignKeyField(Enterprise)
        exporter_text = TextField(default='')
        consignee_text = TextField(default='')
        producer_text = TextField(default='')
        importing_country = CharField(max_length=64)
        transport_text = TextField(default='')
        departure_date = DateField(null=True)
        remarks = TextField(default='')
        issue_date = DateField(index=True)
        issuing_office = CharField(max_length=100)
        platform = CharField(max_length=32, default='single_window')
        creator = CharField(max_length=64, default='')
        approved_at = DateTimeField(index=True)
        layout_status = CharField(max_length=32, default='generated')
        print_status = CharField(max_length=32, default='pending')
        download_status = CharField(max_length=32, default='pending')
        archive_status = CharField(max_length=32, default='unarchived')
        archived_at = DateTimeField(null=True)
        verification_published_at = DateTimeField(null=True)
        print_count = IntegerField(default=0)
        exception_reprints = IntegerField(default=0)
        reprint_allowed = BooleanField(default=False)
        layout_original_path = CharField(default='')
        layout_copy_path = CharField(default='')
        layout_key = CharField(max_length=64, default='')
        layout_error = TextField(default='')
        created_at = DateTimeField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'certificate'
            indexes = ((('exporter', 'issue_date'), False), (('applicant', 'exporter', 'issue_date'), False), (('exporter', 'archive_status', 'print_status'), False))
    db.create_tables([Certificate])

    class CustomsExchange(Model):
        kind = CharField(max_length=32)
        subject_id = IntegerField()
        status = CharField(max_length=32, default='pending')
        request_payload = TextField(default='')
        response_payload = TextField(default='')
        external_ref = CharField(max_length=64, default='')
        attempts = IntegerField(default=0)
        last_error = TextField(default='')
        created_at = DateTimeField()
        updated_at = DateTimeField(index=True)
        next_poll_at = DateTimeField(null=True)
        completed_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'customs_exchange'
            indexes = ((('kind', 'subject_id'), False), (('status', 'updated_at'), False))
    db.create_tables([CustomsExchange])

    class DownloadRecord(Model):
        certificate = ForeignKeyField(Certificate, on_delete='CASCADE')
        enterprise = ForeignKeyField(Enterprise)
        who = CharField(max_length=100)
        original = BooleanField()
        at = DateTimeField()
        remote_addr = CharField(max_length=64, default='')
        class Meta:
            database = db
            table_name = 'download_record'
    db.create_tables([DownloadRecord])

    class ExceptionApplication(Model):
        certificate = ForeignKeyField(Certificate, on_delete='CASCADE')
        enterprise = ForeignKeyField(Enterprise)
        reason = CharField(max_length=32)
        details = TextField(default='')
        status = CharField(max_length=32, default='submitted')
        applied_by = CharField(max_length=100)
        applied_at = DateTimeField(index=True)
        receipt_at = DateTimeField(null=True)
        receipt_message = TextField(default='')
        reprinted_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'exception_application'
    db.create_tables([ExceptionApplication])

    class ExportTask(Model):
        job_id = CharField(unique=True, max_length=64)
        enterprise = ForeignKeyField(Enterprise)
        requested_by = CharField(max_length=100)
        query = TextField()
        total = IntegerField(default=0)
        done = IntegerField(default=0)
        status = CharField(max_length=16, default='waiting')
        file_path = CharField(default='')
        created_at = DateTimeField()
        expires_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'export_task'
    db.create_tables([ExportTask])

    class GoodsLine(Model):
        certificate = ForeignKeyField(Certificate, on_delete='CASCADE')
        line_no = IntegerField()
        marks = TextField(default='')
        description = TextField()
        hs_code = CharField(max_length=16)
        quantity = CharField(max_length=64)
        origin_criterion = CharField(max_length=32)
        fob_value = DecimalField(null=True, max_digits=14, decimal_places=2)
        currency = CharField(max_length=3, default='USD')
        invoice_ref = CharField(max_length=100, default='')
        class Meta:
            database = db
            table_name = 'goods_line'
            indexes = ((('certificate', 'line_no'), True),)
    db.create_tables([GoodsLine])

    class PrintControl(Model):
        enterprise = ForeignKeyField(Enterprise, on_delete='CASCADE')
        name = CharField(max_length=100, default='')
        pairing_code_hash = CharField(unique=True, null=True, max_length=64)
        pairing_expires_at = DateTimeField(null=True)
        token_hash = CharField(unique=True, null=True, max_length=64)
        paired_at = DateTimeField(null=True)
        version = CharField(max_length=32, default='')
        printers = TextField(default='')
        last_heartbeat_at = DateTimeField(null=True)
        revoked_at = DateTimeField(null=True)
        created_by = CharField(max_length=100, default='')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'print_control'
    db.create_tables([PrintControl])

    class PrintJob(Model):
        certificate = ForeignKeyField(Certificate, on_delete='CASCADE')
        enterprise = ForeignKeyField(Enterprise)
        control = ForeignKeyField(PrintControl, null=True)
        kind = CharField(max_length=32)
        status = CharField(max_length=32, default='queued')
        requested_by = CharField(max_length=100)
        message = TextField(default='')
        printer = CharField(max_length=200, default='')
        created_at = DateTimeField(index=True)
        taken_at = DateTimeField(null=True)
        finished_at = DateTimeField(null=True)
        confirmed_at = DateTimeField(null=True)
        confirmed_ok = BooleanField(null=True)
        class Meta:
            database = db
            table_name = 'print_job'
    db.create_tables([PrintJob])

    class UserAccount(Model):
        username = CharField(unique=True, max_length=64)
        password_hash = CharField(max_length=200)
        role = CharField(max_length=32, default='enterprise')
        enterprise = ForeignKeyField(Enterprise, null=True, on_delete='CASCADE')
        operator = ForeignKeyField(Operator, null=True, on_delete='CASCADE')
        failed_password_count = IntegerField(default=0)
        locked_at = DateTimeField(null=True)
        active = BooleanField(default=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'user_account'
    db.create_tables([UserAccount])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('user_account'))
    migrator.migrate(migrator.drop_table('print_job'))
    migrator.migrate(migrator.drop_table('print_control'))
    migrator.migrate(migrator.drop_table('goods_line'))
    migrator.migrate(migrator.drop_table('export_task'))
    migrator.migrate(migrator.drop_table('exception_application'))
    migrator.migrate(migrator.drop_table('download_record'))
    migrator.migrate(migrator.drop_table('customs_exchange'))
    migrator.migrate(migrator.drop_table('certificate'))
    migrator.migrate(migrator.drop_table('certificate_type'))
    migrator.migrate(migrator.drop_table('card'))
    migrator.migrate(migrator.drop_table('authorisation'))
    migrator.migrate(migrator.drop_table('signature'))
    migrator.migrate(migrator.drop_table('seal'))
    migrator.migrate(migrator.drop_table('operator'))
    migrator.migrate(migrator.drop_table('audit_event'))
    migrator.migrate(migrator.drop_table('agent_authorisation'))
    migrator.migrate(migrator.drop_table('enterprise'))
