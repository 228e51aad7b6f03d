"""Nonces of signed requests from customs, kept in the database (they were in Redis, and a Redis
restart forgot them: a captured request could be replayed inside its timestamp window)."""
from peewee import *


def up(migrator, db):
    class CustomsNonce(Model):
        nonce = CharField(unique=True, max_length=64)
        expires_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'customs_nonce'
            indexes = ((('expires_at',), False),)
    db.create_tables([CustomsNonce])


def down(migrator, db):
    db.execute_sql('DROP TABLE customs_nonce')
