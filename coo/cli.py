"""`flask --app wsgi coo ...`: migrate, seed-demo, create-ops-user."""
import click
from flask.cli import with_appcontext

from coo import db
from coo.models import database


@click.group("coo")
def coo():
    """coo administration."""


@coo.command("migrate")
@with_appcontext
def migrate():
    """Apply pending schema migrations."""
    applied = db.migrate()
    click.echo("applied: " + ", ".join(applied) if applied else "schema is up to date")
    database.close()


@coo.command("migration-status")
@with_appcontext
def migration_status():
    for m in db.migration_status():
        click.echo(f"[{'x' if m.applied else ' '}] {m.name}")
    database.close()


@coo.command("seed-demo")
@with_appcontext
def seed_demo():
    """Load the demo data once (idempotent)."""
    from coo.services import demo
    database.connect(reuse_if_open=True)
    click.echo("demo data loaded" if demo.seed() else "demo data already present")
    database.close()
