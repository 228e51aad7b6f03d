"""授权管理 and the customs simulator: default seal/signature per enterprise, the simulator's
state, and the two rules the database itself enforces (one pending authorisation per
enterprise; one active agent grant per principal and agent)."""
from peewee import *


def up(migrator, db):
    class Enterprise(Model):
        class Meta:
            database = db
            table_name = 'enterprise'

    class Seal(Model):
        class Meta:
            database = db
            table_name = 'seal'

    class Signature(Model):
        class Meta:
            database = db
            table_name = 'signature'

    class EnterpriseDefaults(Model):
        enterprise = ForeignKeyField(Enterprise, unique=True, on_delete='CASCADE')
        seal = ForeignKeyField(Seal, null=True, on_delete='SET NULL')
        signature = ForeignKeyField(Signature, null=True, on_delete='SET NULL')
        updated_by = CharField(max_length=100, default='')
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'enterprise_defaults'

    class SimulatorMessage(Model):
        reference = CharField(max_length=64, unique=True)
        kind = CharField(max_length=32)
        payload = TextField(default='')
        calls = IntegerField(default=0)
        delivered_at = DateTimeField(null=True)
        answer_at = DateTimeField(null=True)
        answered_at = DateTimeField(null=True)
        ok = BooleanField(null=True)
        message = TextField(default='')
        data = TextField(default='')
        class Meta:
            database = db
            table_name = 'simulator_message'

    db.create_tables([EnterpriseDefaults, SimulatorMessage])
    # Partial unique indexes (SQLite and PostgreSQL both have them).
    db.execute_sql("CREATE UNIQUE INDEX authorisation_one_pending ON authorisation (enterprise_id) "
                   "WHERE status = 'pending'")
    db.execute_sql("CREATE UNIQUE INDEX agent_authorisation_one_active ON agent_authorisation "
                   "(principal_id, agent_id) WHERE revoked_at IS NULL")


def down(migrator, db):
    db.execute_sql("DROP INDEX IF EXISTS agent_authorisation_one_active")
    db.execute_sql("DROP INDEX IF EXISTS authorisation_one_pending")
    db.execute_sql('DROP TABLE IF EXISTS simulator_message')
    db.execute_sql('DROP TABLE IF EXISTS enterprise_defaults')
