"""Archiving (归档): the request asking customs to archive a printed (是) or downloaded (下载正本)
certificate, and customs' receipt (`exchanges.HANDLERS[ARCHIVE]`). 已归档 publishes the
certificate to the verification portal (出口原产地证书核查).
"""
from coo import enums
from coo.clock import utcnow
from coo.models import Certificate, CustomsExchange
from coo.services import audit
from coo.services.exchanges import create_exchange


def create_archive_exchange(cert, **facts):
    """The archive request for a printed (是) or downloaded (证书下载 → 下载正本) certificate, in the
    caller's transaction; None when one is already open or done. The caller `start()`s the
    returned exchange after its transaction has committed."""
    if _archive_open(cert.id):
        return None
    return create_exchange(enums.ExchangeKind.ARCHIVE, cert.id, {
        "certificate_number": cert.number, "exporter_customs_code": cert.exporter.customs_code, **facts})


def _archive_open(cert_id) -> bool:
    return (CustomsExchange.select()
            .where((CustomsExchange.kind == enums.ExchangeKind.ARCHIVE) & (CustomsExchange.subject_id == cert_id)
                   & CustomsExchange.status.in_([enums.ExchangeStatus.PENDING, enums.ExchangeStatus.SENT,
                                                 enums.ExchangeStatus.DONE]))
            .exists())


def apply_receipt(exchange, receipt):
    """`exchanges.HANDLERS[ARCHIVE]`: customs has answered the archive request. 已归档 publishes the
    certificate to the verification portal; a refusal leaves it 未归档 (recorded)."""
    cert = Certificate.get_or_none(Certificate.id == exchange.subject_id)
    if cert is None:
        return
    if not receipt.ok:
        audit.record("archive_refused", cert.number, receipt.message, enterprise=cert.exporter, actor="海关")
        return
    now = utcnow()
    archived = (Certificate.update(archive_status=enums.ArchiveStatus.ARCHIVED, archived_at=receipt.at or now,
                                   verification_published_at=now, updated_at=now)
                .where((Certificate.id == cert.id) & (Certificate.archive_status == enums.ArchiveStatus.UNARCHIVED))
                .execute())
    if archived:
        audit.record("archived", cert.number, "海关已归档，已发布至出口原产地证书核查系统",
                     enterprise=cert.exporter, actor="海关")
