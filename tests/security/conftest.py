"""The security suite's world: four enterprises and one row of every kind for each.

- A  浙江华东进出口有限公司 (exporter) — authorised agent X;
- B  江苏远洋贸易有限公司 (exporter) — unrelated to everyone;
- X  上海通达报关代理有限公司 (agent authorised by A only), who declared some of A's certificates;
- Y  广州南方报关行有限公司 (an agent nobody authorised).

Each acts through its legal person's 法人卡 (卡介质登录), which passes every guard, so a refusal
can only come from the data scoping.
"""
import datetime
import io
from dataclasses import dataclass, field

import pytest
from PIL import Image

from coo import enums, scan, storage
from coo.services import exports, seals
from coo.clock import utcnow
from coo.models import (
    AgentAuthorisation, Authorisation, Card, Certificate, DownloadRecord, Enterprise, ExceptionApplication,
    ExportTask, Operator, PrintControl, PrintJob, Seal, Signature,
)
from coo.security import hash_secret
from coo.services.access import ACTING_FOR_KEY
from coo.validators import id_check_char, uscc_check_char

CARDS = {"A": "8800000000001", "B": "8800000000011", "X": "8800000000021", "Y": "8800000000031"}
CODES = {"A": "3301960001", "B": "3202960002", "X": "3101980003", "Y": "4401980004"}


@dataclass
class World:
    enterprises: dict                      # key -> Enterprise
    rows: dict = field(default_factory=dict)   # (kind, key) -> list of ids owned by that enterprise

    def key_of(self, enterprise_id):
        return next(k for k, e in self.enterprises.items() if e.id == enterprise_id)


def _png():
    buffer = io.BytesIO()
    Image.new("RGBA", (40, 40), (200, 0, 0, 255)).save(buffer, "PNG", dpi=(300, 300))
    return buffer.getvalue()


def _rows_for(world, key, app):
    """One row of every enterprise-owned kind for `key` (those the demo does not make)."""
    ent = world.enterprises[key]
    legal = Operator.get((Operator.enterprise == ent) & Operator.is_legal_person)
    today = datetime.date.today()
    with app.app_context():
        image, sha = storage.put(_png(), "seals", ".png")
    seal = Seal.create(enterprise=ent, owner=legal, name=f"{key}公司章", shape=enums.SealShape.ROUND,
                       valid_from=today, valid_to=today + datetime.timedelta(days=300), height_mm=40,
                       width_mm=40, dpi=300, image_path=image, original_path=image, image_sha256=sha)
    signature = Signature.create(enterprise=ent, declarant=legal, name=f"{key}签名", height_mm=20, width_mm=30,
                                 dpi=300, image_path=image, original_path=image, image_sha256=sha)
    authorisation = Authorisation.create(enterprise=ent, seal=seal, signature=signature, requested_by=legal.name,
                                         status=enums.ReceiptStatus.SUCCESS, receipt_at=utcnow(),
                                         receipt_message="授权成功")
    control = PrintControl.create(enterprise=ent, name=f"{key}-PC", version="1.2.0", paired_at=utcnow())
    export = ExportTask.create(job_id=f"export-test-{key}", enterprise=ent, requested_by=legal.name, query="")
    with app.app_context():
        assert exports.run(export.id) == "complete"   # a real 导出 Excel, ready to download
    world.rows.update({
        ("seal", key): [seal.id], ("signature", key): [signature.id],
        ("authorisation", key): [authorisation.id], ("print_control", key): [control.id],
        ("export", key): [export.id], ("export_job", key): [export.job_id],
        ("operator", key): [o.id for o in Operator.select().where(Operator.enterprise == ent)],
        ("card", key): [c.id for c in Card.select().where(Card.enterprise == ent)],
        ("enterprise", key): [ent.id],
    })
    with app.app_context():   # a staged 新增印章 / 新增签名 scan of this enterprise (its preview URL's token)
        for kind in (scan.SEAL, scan.SIGNATURE):
            payload = {"e": ent.id, "k": kind, "i": image, "o": image, "d": sha, "w": "40", "h": "40", "r": 300,
                       "s": enums.SealShape.ROUND.value if kind == scan.SEAL else None}
            world.rows[(f"{kind}_upload", key)] = [seals._serializer(kind).dumps(payload)]
    certificates = list(Certificate.select().where(Certificate.exporter == ent).order_by(Certificate.id))
    for cert in certificates[:1]:
        job = PrintJob.create(certificate=cert, enterprise=ent, control=control, kind=enums.PrintKind.ORIGINAL,
                              requested_by=legal.name)
        exception = ExceptionApplication.create(certificate=cert, enterprise=ent,
                                                reason=enums.ExceptionReason.PAPER_JAM, applied_by=legal.name)
        download = DownloadRecord.create(certificate=cert, enterprise=ent, who=legal.name, original=False)
        world.rows.update({("print_job", key): [job.id], ("exception", key): [exception.id],
                           ("download", key): [download.id]})


@pytest.fixture
def world(app, demo):
    enterprises = {k: Enterprise.get(Enterprise.customs_code == c) for k, c in CODES.items() if k != "Y"}
    body = "91440101MA5C7D9E3"
    enterprises["Y"] = Enterprise.create(uscc=body + uscc_check_char(body), customs_code=CODES["Y"],
                                         name_zh="广州南方报关行有限公司", name_en="GUANGZHOU NANFANG CUSTOMS BROKER CO., LTD.",
                                         is_exporter=False, is_agent=True)
    id_body = "44010119800101123"
    legal = Operator.create(enterprise=enterprises["Y"], name="黄志明", id_number=id_body + id_check_char(id_body),
                            is_legal_person=True)
    today = datetime.date.today()
    Card.create(number=CARDS["Y"], kind=enums.CardKind.LEGAL, enterprise=enterprises["Y"], holder=legal,
                valid_from=today - datetime.timedelta(days=30), valid_to=today + datetime.timedelta(days=300),
                pin_hash=hash_secret(demo.DEMO_PIN))
    w = World(enterprises=enterprises)
    for key in enterprises:
        _rows_for(w, key, app)
    w.rows[("grant", "A")] = [g.id for g in AgentAuthorisation.select().where(
        AgentAuthorisation.principal == enterprises["A"])]
    # The certificate each view reaches first has its 副本版式 received (so 查看副本 answers it).
    with app.app_context():
        layout, _ = storage.put(_pdf(), "layouts", ".pdf")
    for actor in (Actor("A"), Actor("B"), Actor("X", "A")):
        for cert in own_certificates(w, actor)[:1]:
            Certificate.update(layout_copy_path=layout, layout_status=enums.LayoutStatus.RECEIVED).where(
                Certificate.id == cert.id).execute()
    return w


def own_certificates(world, actor: "Actor"):
    """The certificates `actor` may see: an exporter its own (declared by itself); the agent X,
    switched into A's view, what it declared for A since A authorised it. X in its own view and
    Y see none (they are not exporters)."""
    ents = world.enterprises
    if actor.acting_for is None:
        query = Certificate.select().where((Certificate.exporter == ents[actor.key])
                                           & (Certificate.applicant == ents[actor.key]))
    else:
        grant = AgentAuthorisation.select().where(
            (AgentAuthorisation.principal == ents[actor.acting_for]) & (AgentAuthorisation.agent == ents[actor.key])
            & AgentAuthorisation.revoked_at.is_null()).first()
        if grant is None:
            return []
        query = Certificate.select().where((Certificate.exporter == ents[actor.acting_for])
                                           & (Certificate.applicant == ents[actor.key])
                                           & (Certificate.approved_at >= grant.granted_at))
    return list(query.order_by(Certificate.id))


def _pdf():
    buffer = io.BytesIO()
    Image.new("RGB", (60, 80), (255, 255, 255)).save(buffer, "PDF")
    return buffer.getvalue()


@dataclass(frozen=True)
class Actor:
    """Who is asking: an enterprise (its legal person's card), maybe switched into a principal."""
    key: str
    acting_for: str | None = None

    @property
    def name(self):
        return f"{self.key}→{self.acting_for}" if self.acting_for else self.key


# Every case of SPEC section 6: two exporters, the authorised agent in its own and in the
# principal's view, the unauthorised agent, and the unauthorised agent pretending to be switched.
ACTORS = (Actor("A"), Actor("B"), Actor("X"), Actor("X", "A"), Actor("Y"), Actor("Y", "A"))


def log_in(client, actions, world, actor, pin):
    response = actions.login_card(CARDS[actor.key], pin)
    assert response.status_code == 303, (actor, response.get_data(as_text=True)[:300])
    if actor.acting_for:
        with client.session_transaction() as session:
            session[ACTING_FOR_KEY] = world.enterprises[actor.acting_for].id
