"""Helpers of the printing tests: certificates made printable (an authorisation that succeeded
before they were approved, layout PDFs stored with coo.storage), and a paired print control."""
import datetime
import re
from decimal import Decimal
from functools import lru_cache

from coo import enums, storage
from coo.clock import utcnow
from coo.models import Authorisation, Certificate, CertificateType, Enterprise, Operator, PrintControl, Seal, Signature
from coo.security import new_token, token_digest


@lru_cache(maxsize=None)
def layout_pdf(number: str, part: str, pages: int = 2) -> bytes:
    """A small two-page (front + overleaf) layout PDF made with WeasyPrint."""
    import weasyprint
    word = "ORIGINAL" if part == "original" else "COPY"
    body = "".join(f'<section class="page"><h1>{word} {number}</h1><p>page {i + 1}</p></section>'
                   for i in range(pages))
    html = f"<style>@page {{ size: A4 }} .page {{ break-after: page }}</style>{body}"
    return weasyprint.HTML(string=html).write_pdf()


def authorise(enterprise, at=None):
    """A seal-signature authorisation of `enterprise` that succeeded at `at` (200 days ago)."""
    at = at or utcnow() - datetime.timedelta(days=200)
    owner = Operator.get((Operator.enterprise == enterprise) & (Operator.is_legal_person == True))  # noqa: E712
    today = datetime.date.today()
    seal = Seal.create(enterprise=enterprise, owner=owner, name="公章", shape=enums.SealShape.ROUND,
                       valid_from=today - datetime.timedelta(days=300), valid_to=today + datetime.timedelta(days=300),
                       height_mm=Decimal("40.0"), width_mm=Decimal("40.0"), dpi=600, image_path="x.png",
                       original_path="x.png", image_sha256="0" * 64)
    signature = Signature.create(enterprise=enterprise, declarant=owner, name="签名", height_mm=Decimal("10.0"),
                                 width_mm=Decimal("30.0"), dpi=600, image_path="y.png", original_path="y.png",
                                 image_sha256="1" * 64)
    return Authorisation.create(enterprise=enterprise, seal=seal, signature=signature, requested_by=owner.name,
                                submitted_at=at, status=enums.ReceiptStatus.SUCCESS, receipt_at=at)


def printable(app, enterprise_name="浙江华东进出口有限公司", count=1, applicant=None):
    """`count` certificates of the enterprise made self-printable: authorised, layouts received."""
    exporter = Enterprise.get(Enterprise.name_zh == enterprise_name)
    granted = Authorisation.latest_success(exporter) or authorise(exporter)
    query = (Certificate.select().join_from(Certificate, CertificateType)
             .where((Certificate.exporter == exporter) & (Certificate.approved_at > granted.receipt_at)
                    & (CertificateType.self_print == True)  # noqa: E712
                    & (Certificate.print_status == enums.PrintStatus.PENDING)
                    & (Certificate.layout_status != enums.LayoutStatus.RECEIVED)))
    query = query.where(Certificate.applicant == (applicant or exporter))
    certs = list(query.order_by(Certificate.id).limit(count))
    assert len(certs) == count
    with app.app_context():
        for cert in certs:
            original, _ = storage.put(layout_pdf(cert.number, "original"), "layouts", ".pdf")
            copy, _ = storage.put(layout_pdf(cert.number, "copy"), "layouts", ".pdf")
            Certificate.update(layout_status=enums.LayoutStatus.RECEIVED, layout_original_path=original,
                               layout_copy_path=copy).where(Certificate.id == cert.id).execute()
    return [Certificate.get_by_id(c.id) for c in certs]


def paired_control(enterprise_name="浙江华东进出口有限公司", version="1.3.0", heartbeat_age_s=0):
    """A control paired with the enterprise, last heard `heartbeat_age_s` ago; returns (row, token)."""
    token = new_token()
    heard = utcnow() - datetime.timedelta(seconds=heartbeat_age_s) if heartbeat_age_s is not None else None
    control = PrintControl.create(enterprise=Enterprise.get(Enterprise.name_zh == enterprise_name),
                                  name="测试电脑", token_hash=token_digest(token), paired_at=utcnow(),
                                  version=version, printers='["PDF"]', last_heartbeat_at=heard)
    return control, token


def code_from(html: str) -> str:
    match = re.search(r'class="pairing-code">([A-Z0-9-]+)<', html)
    assert match, "no pairing code on the page"
    return match.group(1)
