"""印章名称 / 签名名称 are unique per enterprise among the seals and signatures not deleted
(a deleted one frees its name for the new seal that replaces it). Partial unique indexes work
the same on SQLite and PostgreSQL; they make two simultaneous saves of one name a user error."""


def up(migrator, db):
    db.execute_sql('CREATE UNIQUE INDEX IF NOT EXISTS "seal_enterprise_name_live" '
                   'ON "seal" ("enterprise_id", "name") WHERE "deleted_at" IS NULL')
    db.execute_sql('CREATE UNIQUE INDEX IF NOT EXISTS "signature_enterprise_name_live" '
                   'ON "signature" ("enterprise_id", "name") WHERE "deleted_at" IS NULL')


def down(migrator, db):
    db.execute_sql('DROP INDEX IF EXISTS "seal_enterprise_name_live"')
    db.execute_sql('DROP INDEX IF EXISTS "signature_enterprise_name_live"')
