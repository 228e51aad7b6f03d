"""`flask --app wsgi coo ...`: migrate, seed-demo, create-ops-user, storage-check."""
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


@coo.command("import-certificates")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@with_appcontext
def import_certificates(file):
    """Import approved certificates from a JSON file (docs/certificate.schema.json): a list of
    records, or {"certificates": [...]}. Bad records are rejected one by one with the reason."""
    from coo.services import intake
    database.connect(reuse_if_open=True)
    try:
        records = intake.load_file(file.read())
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    report = intake.import_records(records)
    for index, number, reasons in report.outcomes:
        if not reasons:
            click.echo(f"第{index}条 {number}：已导入")
            continue
        click.echo(f"第{index}条 {number or '(无证书编号)'}：已拒绝")
        for reason in reasons:
            click.echo(f"    - {reason}")
    click.echo(f"共 {len(records)} 条：导入 {len(report.imported)} 条，拒绝 {len(report.rejected)} 条")
    database.close()
    if report.rejected:
        raise SystemExit(1)


@coo.command("simulator-approve")
@click.option("--exporter", "exporter_code", required=True, help="出口商统一社会信用代码或海关编码")
@click.option("--applicant", "applicant_code", default="", help="申请人（默认为出口商本身）")
@click.option("--type", "type_code", required=True, help="证书类别代码，如 E、RC")
@click.option("--country", required=True, help="进口国，如 INDONESIA")
@with_appcontext
def simulator_approve(exporter_code, applicant_code, type_code, country):
    """The customs simulator approves a new certificate into the system (as the ops page does)."""
    from coo.models import Enterprise
    from coo.services import approval, intake

    def find(code):
        code = code.strip().upper()
        return Enterprise.get_or_none((Enterprise.uscc == code) | (Enterprise.customs_code == code))

    database.connect(reuse_if_open=True)
    exporter = find(exporter_code)
    applicant = find(applicant_code) if applicant_code else exporter
    try:
        cert = approval.approve_by_ids(exporter.id if exporter else 0, applicant.id if applicant else 0,
                                       type_code.upper(), country.upper())
    except intake.IntakeError as error:
        raise click.ClickException("；".join(error.errors)) from None
    finally:
        database.close()
    click.echo(f"证书 {cert.number} 已审批通过")


@coo.command("verify-qr")
@click.argument("source")
@click.option("--keys", "keys_file", type=click.Path(exists=True, dir_okay=False),
              help="A saved key set (/.well-known/coo-keys.json). Default: this installation's keys.")
@with_appcontext
def verify_qr(source, keys_file):
    """Check a certificate's digital-seal QR offline: SOURCE is a PNG/JPEG scan, a PDF, or the
    QR text itself (COO1:…). Prints the certified data in English and Chinese."""
    import json

    from coo.proof import keys as keyring
    from coo.proof import qr as seal_qr
    from coo.proof.scan import seal_texts

    from pathlib import Path
    known = (keyring.keys_from_jwks(json.loads(Path(keys_file).read_text(encoding="utf-8")))
             if keys_file else keyring.published_keys())
    try:
        texts = seal_texts(source)
    except (OSError, RuntimeError) as error:
        raise click.ClickException(f"无法读取 / cannot read {source}: {error}")
    if not texts:
        raise click.ClickException("未找到防伪二维码 / no digital seal (COO1:) found in " + source)
    failed = False
    for text in texts:
        verdict = seal_qr.verify(text, known)
        if not verdict.valid:
            failed = True
            click.echo(f"INVALID 无效: {verdict.reason_en} / {verdict.reason_zh}")
            continue
        status = " (retired key 历史密钥)" if verdict.key_status == keyring.RETIRED else ""
        click.echo(f"VALID 有效: signed by key {verdict.kid}{status}")
        for en, zh, value in verdict.rows():
            click.echo(f"  {en} / {zh}: {value}")
    if failed:
        raise SystemExit(1)


@coo.command("storage-check")
@with_appcontext
def storage_check():
    """Write, list, read and delete a probe file in the configured storage (run on each host)."""
    from coo import storage
    try:
        where = storage.self_check()
    except Exception as error:      # any failure (credentials, bucket, network) is the answer
        raise click.ClickException(f"storage check failed: {type(error).__name__}: {error}") from None
    click.echo(f"storage ok: {where}")
