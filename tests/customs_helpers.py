"""Rows the authorisation and customs tests need that 印章管理 would otherwise make: seals and
signatures (with made-up image hashes), and a receipt handler that counts what it is given."""
import datetime
import hashlib
from decimal import Decimal

from coo import enums
from coo.models import AuditEvent, Enterprise, Operator, Seal, Signature


def enterprise(name_zh) -> Enterprise:
    return Enterprise.get(Enterprise.name_zh == name_zh)


HUADONG = "浙江华东进出口有限公司"
YUANYANG = "江苏远洋贸易有限公司"
TONGDA = "上海通达报关代理有限公司"


def make_seal(ent, name="公司章", status=enums.UsageStatus.ENABLED, valid_days=(-30, 365)) -> Seal:
    today = datetime.date.today()
    owner = Operator.get((Operator.enterprise == ent) & Operator.is_legal_person)
    digest = hashlib.sha256(f"{ent.id}-{name}".encode()).hexdigest()
    return Seal.create(enterprise=ent, owner=owner, name=name, shape=enums.SealShape.ROUND, status=status,
                       valid_from=today + datetime.timedelta(days=valid_days[0]),
                       valid_to=today + datetime.timedelta(days=valid_days[1]),
                       height_mm=Decimal("40.0"), width_mm=Decimal("40.0"), dpi=600,
                       image_path=f"seals/{digest}.png", original_path=f"uploads/{digest}.png",
                       image_sha256=digest)


def make_signature(ent, name="申报员签名", status=enums.UsageStatus.ENABLED) -> Signature:
    declarant = Operator.get((Operator.enterprise == ent) & Operator.is_legal_person)
    digest = hashlib.sha256(f"{ent.id}-sig-{name}".encode()).hexdigest()
    return Signature.create(enterprise=ent, declarant=declarant, name=name, status=status,
                            height_mm=Decimal("12.0"), width_mm=Decimal("30.0"), dpi=600,
                            image_path=f"signatures/{digest}.png", original_path=f"uploads/{digest}.png",
                            image_sha256=digest)


def count_receipt(exchange, receipt):
    """A receipt handler for tests: one audit row per receipt applied."""
    AuditEvent.create(actor="test", action="test_receipt", target=str(exchange.id),
                      detail="ok" if receipt.ok else "failed")


def receipts_applied(exchange_id) -> int:
    return (AuditEvent.select().where((AuditEvent.action == "test_receipt")
                                      & (AuditEvent.target == str(exchange_id))).count())


def forget_demo_authorisations():
    """The demo exporters are authorised already; tests of 授权 start from exporters that are not."""
    from coo.models import Authorisation, EnterpriseDefaults, Seal, Signature
    for model in (EnterpriseDefaults, Authorisation, Seal, Signature):
        model.delete().execute()
