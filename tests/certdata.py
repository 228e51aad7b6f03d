"""Test data for the 证书打印 tests: a successful seal-signature authorisation (the self-print
rule depends on its receipt time) and certificate lookups by the demo's enterprises."""
import datetime
from decimal import Decimal

from coo import enums
from coo.clock import utcnow
from coo.models import Authorisation, Certificate, Enterprise, Operator, Seal, Signature


def enterprise(name_zh):
    return Enterprise.get(Enterprise.name_zh == name_zh)


HUADONG = "浙江华东进出口有限公司"
YUANYANG = "江苏远洋贸易有限公司"
TONGDA = "上海通达报关代理有限公司"


def authorise(ent, days_ago=200, status=enums.ReceiptStatus.SUCCESS):
    """A seal + signature authorised to customs `days_ago` days ago (receipt at that time)."""
    person = Operator.get((Operator.enterprise == ent) & (Operator.is_legal_person == True))  # noqa: E712
    today = datetime.date.today()
    seal = Seal.create(enterprise=ent, owner=person, name="公司章", shape=enums.SealShape.ROUND,
                       valid_from=today - datetime.timedelta(days=400), valid_to=today + datetime.timedelta(days=400),
                       height_mm=Decimal("40.0"), width_mm=Decimal("40.0"), dpi=300,
                       image_path="seals/x.png", original_path="seals/x-orig.png", image_sha256="0" * 64)
    signature = Signature.create(enterprise=ent, declarant=person, name=person.name,
                                 height_mm=Decimal("10.0"), width_mm=Decimal("30.0"), dpi=300,
                                 image_path="signatures/x.png", original_path="signatures/x-orig.png",
                                 image_sha256="0" * 64)
    at = utcnow() - datetime.timedelta(days=days_ago)
    return Authorisation.create(enterprise=ent, seal=seal, signature=signature, requested_by=person.name,
                                submitted_at=at - datetime.timedelta(minutes=5), status=status,
                                receipt_at=at if status != enums.ReceiptStatus.PENDING else None)


def listed_for(ent, since):
    """The certificates the 证书打印 list of `ent` (own view) should show, newest first."""
    return list(Certificate.select().join_from(Certificate, Certificate.cert_type.rel_model)
                .where((Certificate.exporter == ent) & (Certificate.approved_at >= since)
                       & (Certificate.cert_type.rel_model.self_print == True))  # noqa: E712
                .order_by(Certificate.issue_date.desc(), Certificate.id.desc()))


def receive_layouts(query=None):
    """Mark layouts 接收成功 (the layout area's worker does this in production)."""
    update = Certificate.update(layout_status=enums.LayoutStatus.RECEIVED)
    return (update.where(query) if query is not None else update).execute()
