"""出口原产地证书核查 (the verification portal): number + verification code → the archived
certificate's data. Wrong code, not (yet) archived and unknown number give the same answer, so
the portal confirms nothing about a certificate without its code. Every inquiry is logged."""
import hmac

from coo import enums
from coo.customs import offices
from coo.models import Certificate
from coo.security import verification_code
from coo.services import audit


def normalise(value: str, limit: int = 32) -> str:
    return "".join((value or "").split()).upper()[:limit]


def lookup(number: str, code: str):
    """The archived, published certificate, or None — whatever the reason."""
    number, code = normalise(number), normalise(code)
    cert = (Certificate.select()
            .where((Certificate.number == number)
                   & (Certificate.archive_status == enums.ArchiveStatus.ARCHIVED)
                   & Certificate.verification_published_at.is_null(False))
            .first()) if number else None
    # The code is always compared, so a known number costs the same as an unknown one.
    # Bytes: compare_digest refuses non-ASCII str (`code=中`).
    matches = hmac.compare_digest(verification_code(number or "-").encode(), code.encode())
    return cert if cert is not None and matches else None


# The 审计日志's 详情 of an inquiry.
FOUND, NOT_FOUND = "查到已归档证书", "未查到（编号或核查码不符，或未归档）"


def log_inquiry(number: str, cert):
    audit.record("verify_inquiry", normalise(number), FOUND if cert else NOT_FOUND,
                 enterprise=cert.exporter if cert else None, actor="外方")


def office_of(cert):
    """The issuing office, in Chinese and English (the one table of offices)."""
    return offices.for_name(cert.issuing_office)
