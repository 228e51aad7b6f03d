"""Server-side login sessions: a signed session cookie cannot be revoked, so each login gets a
row whose key the cookie carries; 退出 revokes the row and the old cookie stops working."""
from peewee import *


def up(migrator, db):
    class LoginSession(Model):
        key_digest = CharField(unique=True, max_length=64)
        principal = CharField(max_length=40)
        created_at = DateTimeField()
        revoked_at = DateTimeField(null=True)
        remote_addr = CharField(max_length=64, default='')
        class Meta:
            database = db
            table_name = 'login_session'
            indexes = ((('principal',), False),)
    db.create_tables([LoginSession])


def down(migrator, db):
    db.execute_sql('DROP TABLE login_session')
