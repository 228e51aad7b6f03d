"""Demo data for `make run` (`flask --app wsgi coo seed-demo`): idempotent, deterministic.

Two exporters, one agent authorised by one of them, legal-person and operator cards, password
users, declarants, each exporter's seal and legal person's signature (real scan processing), an
ops account, and ~200 certificates spread over the types and states.
"""
import datetime
import functools
import random
from decimal import Decimal

from coo import enums
from coo.customs import offices as office_table
from coo.clock import utcnow
from coo.models import (
    AgentAuthorisation, Authorisation, Card, Certificate, CertificateType, DownloadRecord, Enterprise,
    EnterpriseDefaults, ExceptionApplication, GoodsLine, Operator, Seal, Signature, UserAccount, database,
)
from coo.security import hash_secret
from coo.validators import id_check_char, uscc_check_char

DEMO_PASSWORD = "Demo@2026"
DEMO_PIN = "88888888"
OPS_PASSWORD = "Ops@2026"

# (key, uscc body (17), customs code, zh, en, address, exporter, agent)
ENTERPRISES = [
    ("huadong", "91330100MA2H3K5L7", "3301960001", "浙江华东进出口有限公司",
     "ZHEJIANG HUADONG IMPORT & EXPORT CO., LTD.",
     "NO. 88 QIANJIANG ROAD, SHANGCHENG DISTRICT, HANGZHOU, ZHEJIANG, CHINA", True, False),
    ("yuanyang", "91320200MA1N8P2Q4", "3202960002", "江苏远洋贸易有限公司",
     "JIANGSU YUANYANG TRADING CO., LTD.",
     "NO. 16 CHANGJIANG ROAD, XINWU DISTRICT, WUXI, JIANGSU, CHINA", True, False),
    ("tongda", "91310115MA1K4R6T2", "3101980003", "上海通达报关代理有限公司",
     "SHANGHAI TONGDA CUSTOMS BROKERAGE CO., LTD.",
     "ROOM 1203, NO. 500 PUDONG AVENUE, SHANGHAI, CHINA", False, True),
]

# (enterprise key, name, id body (17), legal?, card number or None, username or None)
PEOPLE = [
    ("huadong", "王建国", "33010219700101123", True, "8800000000001", "hd_admin"),
    ("huadong", "李晓梅", "33010619850315234", False, "8800000000002", "hd_op"),
    ("huadong", "陈志强", "33010519900720345", False, None, None),
    ("yuanyang", "张海涛", "32020219750512456", True, "8800000000011", "yy_admin"),
    ("yuanyang", "刘芳", "32021119880909567", False, "8800000000012", "yy_op"),
    ("tongda", "赵立新", "31011519721111678", True, "8800000000021", "td_admin"),
    ("tongda", "孙丽", "31011519921224789", False, "8800000000022", "td_agent"),
]

CONSIGNEES = [
    ("PT SINAR JAYA ABADI", "JL. GATOT SUBROTO KAV. 52, JAKARTA 12950, INDONESIA", "INDONESIA"),
    ("LIONCITY TRADING PTE. LTD.", "10 ANSON ROAD #22-01, SINGAPORE 079903", "SINGAPORE"),
    ("KANTO SHOJI CO., LTD.", "2-4-1 SHIBAKOEN, MINATO-KU, TOKYO 105-0011, JAPAN", "JAPAN"),
    ("HANBIT TRADING CO., LTD.", "123 TEHERAN-RO, GANGNAM-GU, SEOUL, KOREA", "KOREA"),
    ("SOUTHERN CROSS IMPORTS PTY LTD", "45 GEORGE STREET, SYDNEY NSW 2000, AUSTRALIA", "AUSTRALIA"),
    ("KIWI HOME GOODS LIMITED", "12 QUEEN STREET, AUCKLAND 1010, NEW ZEALAND", "NEW ZEALAND"),
    ("ANDES COMERCIAL SPA", "AV. PROVIDENCIA 1234, SANTIAGO, CHILE", "CHILE"),
    ("BHARAT IMPEX PVT. LTD.", "PLOT 7, MIDC ANDHERI EAST, MUMBAI 400093, INDIA", "INDIA"),
]

GOODS = [
    ("COTTON T-SHIRTS FOR MEN, KNITTED", "6109.10", "WO"),
    ("STAINLESS STEEL KITCHEN SINKS", "7324.10", "RVC 45%"),
    ("LED LAMPS FOR INDOOR LIGHTING", "8539.52", "CTH"),
    ("CERAMIC TABLEWARE SETS", "6912.00", "PE"),
    ("ELECTRIC KETTLES, 1.7L", "8516.79", "RVC 40%"),
    ("WOODEN FURNITURE, BEDROOM", "9403.50", "CTSH"),
    ("POLYESTER WOVEN FABRIC", "5407.61", "CC"),
    ("BICYCLE PARTS: STEEL RIMS", "8714.92", "RVC 40%"),
]


def _uscc(body):
    return body + uscc_check_char(body)


def _id(body):
    return body + id_check_char(body)


def seed(n_certificates: int = 200) -> bool:
    """Load the demo once. Returns False when it is already there."""
    if Enterprise.select().where(Enterprise.customs_code == ENTERPRISES[0][2]).exists():
        return False
    rng = random.Random(20261126)
    today = datetime.date.today()
    with database.atomic():
        ent = {}
        for key, uscc, code, zh, en, addr, exporter, agent in ENTERPRISES:
            ent[key] = Enterprise.create(uscc=_uscc(uscc), customs_code=code, name_zh=zh, name_en=en,
                                         address_en=addr, is_exporter=exporter, is_agent=agent)
        pin = hash_secret(DEMO_PIN)
        password = hash_secret(DEMO_PASSWORD)
        for key, name, idb, legal, card_no, username in PEOPLE:
            person = Operator.create(enterprise=ent[key], name=name, id_number=_id(idb),
                                     is_legal_person=legal, is_declarant=True, phone="13800000000")
            if card_no:
                Card.create(number=card_no, enterprise=ent[key], holder=person,
                            kind=enums.CardKind.LEGAL if legal else enums.CardKind.OPERATOR,
                            valid_from=today - datetime.timedelta(days=365),
                            valid_to=today + datetime.timedelta(days=3 * 365), pin_hash=pin)
            if username:
                UserAccount.create(username=username, password_hash=password, enterprise=ent[key],
                                   operator=person)
        UserAccount.create(username="ops", password_hash=hash_secret(OPS_PASSWORD), role=enums.Role.OPS)
        _seals(ent)
        _authorisations(ent)
        granted = utcnow() - datetime.timedelta(days=120)
        AgentAuthorisation.create(principal=ent["huadong"], agent=ent["tongda"], granted_by="王建国",
                                  granted_at=granted)
        _certificates(ent, rng, n_certificates, today)
        _printed_and_archived(ent["huadong"])
        _exceptions_and_downloads(ent)
    _layouts()
    return True


@functools.cache
def _demo_scan(kind, key):
    """A scan drawn with Pillow and processed by the real scan code, once per process."""
    from coo import scan
    from coo.services import sample_scans
    drawings = {
        "huadong_seal": lambda: sample_scans.round_seal(42.0, 600, text="浙江华东进出口有限公司", bottom="报关专用章"),
        "yuanyang_seal": lambda: sample_scans.ellipse_seal(45.0, 30.0, 600, text="JIANGSU YUANYANG TRADING CO., LTD.",
                                                           middle="江苏远洋贸易有限公司"),
        "王建国": lambda: sample_scans.signature("王建国", 28.0, 11.0, 600, seed=11),
        "张海涛": lambda: sample_scans.signature("张海涛", 30.0, 12.0, 600, seed=12),
    }
    data = drawings[key]()
    return data, scan.process(data, kind)


def _seals(ent):
    """Each exporter's company seal (华东 round, 远洋 oval) and its legal person's signature,
    made through the real scan processing and stored like an upload."""
    from coo import scan
    from coo.services.seals import store_scan
    for key, seal_key, seal_name, seal_type in (
            ("huadong", "huadong_seal", "公司报关专用章", enums.SealType.COMPANY),
            ("yuanyang", "yuanyang_seal", "中英文公司章", enums.SealType.CN_EN)):
        enterprise = ent[key]
        legal = Operator.get((Operator.enterprise == enterprise) & Operator.is_legal_person)
        card = Card.get(Card.holder == legal)
        data, result = _demo_scan(scan.SEAL, seal_key)
        result, image_path, digest, original_path = store_scan(scan.SEAL, data, result)
        Seal.create(enterprise=enterprise, owner=legal, name=seal_name, seal_type=seal_type,
                    shape=result.shape, valid_from=card.valid_from, valid_to=card.valid_to,
                    height_mm=result.height_mm, width_mm=result.width_mm, dpi=result.dpi,
                    image_path=image_path, original_path=original_path, image_sha256=digest)
        data, result = _demo_scan(scan.SIGNATURE, legal.name)
        result, image_path, digest, original_path = store_scan(scan.SIGNATURE, data, result)
        Signature.create(enterprise=enterprise, declarant=legal, name=legal.name,
                         height_mm=result.height_mm, width_mm=result.width_mm, dpi=result.dpi,
                         image_path=image_path, original_path=original_path, image_sha256=digest)


def _authorisations(ent):
    """华东 and 远洋 authorised their default seal and signature 200 days ago (成功), so the
    certificates approved since are self-printable. Skipped for an exporter without a usable
    seal and signature (印章管理 makes them)."""
    from coo.services import authorisation
    at = utcnow() - datetime.timedelta(days=200)
    for key in ("huadong", "yuanyang"):
        seal = authorisation.usable_seals(ent[key]).first()
        signature = authorisation.usable_signatures(ent[key]).first()
        if seal is None or signature is None:
            continue
        legal = Operator.get((Operator.enterprise == ent[key]) & Operator.is_legal_person)
        EnterpriseDefaults.create(enterprise=ent[key], seal=seal, signature=signature,
                                  updated_by=legal.name, updated_at=at)
        Authorisation.create(enterprise=ent[key], seal=seal, signature=signature, requested_by=legal.name,
                             submitted_at=at - datetime.timedelta(minutes=3),
                             status=enums.ReceiptStatus.SUCCESS, receipt_at=at,
                             receipt_message="印章签名授权成功。")


def _layouts():
    """Enqueue the demo's layout PDFs (coo.services.demo_layouts); the worker renders them."""
    from flask import current_app, has_app_context
    if has_app_context() and current_app.config.get("DEMO_LAYOUTS"):
        from coo.services import demo_layouts
        demo_layouts.seed_layouts()


def _printed_and_archived(exporter, count=3):
    """A few certificates already printed (是) and archived by customs, so 出口原产地证书核查 (/verify)
    answers for them in the demo."""
    since = utcnow() - datetime.timedelta(days=190)     # after the demo authorisation
    rows = (Certificate.select(Certificate.id).join(CertificateType)
            .where((Certificate.exporter == exporter) & (Certificate.applicant == exporter)
                   & (Certificate.approved_at >= since) & CertificateType.self_print)
            .order_by(Certificate.issue_date.asc(), Certificate.id).limit(count))
    for row in rows:
        cert = Certificate.get_by_id(row.id)
        printed = datetime.datetime.combine(cert.issue_date, datetime.time(10, 0))
        Certificate.update(print_status=enums.PrintStatus.PRINTED, print_count=1,
                           archive_status=enums.ArchiveStatus.ARCHIVED,
                           archived_at=printed + datetime.timedelta(hours=2),
                           verification_published_at=printed + datetime.timedelta(hours=2)).where(
            Certificate.id == cert.id).execute()


def _stored_visa(office) -> dict:
    """The office's visa seal and officer signature as customs sends them (the simulator's)."""
    from coo import storage
    from coo.customs import visa
    seal_path, _ = storage.put(visa.visa_seal_png(office), "visas", ".png")
    signature_path, _ = storage.put(visa.officer_signature_png(office), "visas", ".png")
    return {"visa_officer_name": office.officer, "visa_seal_path": seal_path,
            "visa_seal_width_mm": Decimal(str(visa.SEAL_MM)), "visa_seal_height_mm": Decimal(str(visa.SEAL_MM)),
            "visa_signature_path": signature_path,
            "visa_signature_width_mm": Decimal(str(visa.SIGNATURE_MM[0])),
            "visa_signature_height_mm": Decimal(str(visa.SIGNATURE_MM[1]))}


def _certificates(ent, rng, n, today):
    types = list(CertificateType.select().order_by(CertificateType.sort_order))
    offices = [office_table.BY_NAME[name] for name in ("杭州海关", "宁波海关", "南京海关", "上海海关")]
    visas = {office.code: _stored_visa(office) for office in offices}
    platforms = [enums.Platform.SINGLE_WINDOW] * 6 + [enums.Platform.GOV_SERVICE, enums.Platform.OTHER]
    for i in range(n):
        ctype = types[i % len(types)]
        exporter = ent["huadong"] if i % 3 else ent["yuanyang"]
        applicant = ent["tongda"] if exporter == ent["huadong"] and i % 4 == 1 else exporter
        # Most were approved after the exporters' seal-signature authorisation (200 days ago);
        # every 25th is older and keeps the old way of printing (not self-printable).
        old = i % 25 == 7
        issue = today - datetime.timedelta(days=rng.randint(230, 300) if old else rng.randint(0, 150))
        approved = datetime.datetime.combine(issue, datetime.time(9, 0)) + datetime.timedelta(minutes=i)
        consignee = CONSIGNEES[i % len(CONSIGNEES)]
        cert = Certificate.create(
            number=f"{ctype.code}{issue:%y}{offices[i % len(offices)].code}{i + 1:09d}",
            cert_type=ctype, invoice_number=f"INV{issue:%Y%m}{i + 1:04d}", invoice_date=issue,
            applicant=applicant, exporter=exporter,
            exporter_text=f"{exporter.name_en}\n{exporter.address_en}",
            consignee_text=f"{consignee[0]}\n{consignee[1]}",
            importing_country=consignee[2],
            transport_text=f"FROM NINGBO, CHINA TO {consignee[2]} BY SEA",
            departure_date=issue + datetime.timedelta(days=3),
            issue_date=issue, issuing_office=offices[i % len(offices)].name_zh,
            **visas[offices[i % len(offices)].code],
            **({"original_certificate_number": f"KR{issue:%y}-{i + 1:05d}-BTB",
                "original_certificate_date": issue - datetime.timedelta(days=20)} if ctype.code == "BR" else {}),
            platform=platforms[i % len(platforms)],
            creator=("孙丽" if applicant == ent["tongda"] else ("李晓梅" if exporter == ent["huadong"] else "刘芳")),
            approved_at=approved,
        )
        for line in range(1 + i % 3):
            desc, hs, crit = GOODS[(i + line) % len(GOODS)]
            GoodsLine.create(
                certificate=cert, line_no=line + 1, marks="N/M", description=desc, hs_code=hs,
                quantity=f"{rng.randint(1, 90) * 100} PCS",
                origin_criterion={"TR": "JAPAN", "PR": "ASSEMBLY OF IMPORTED PARTS"}.get(ctype.code, crit),
                fob_value=Decimal(rng.randint(1000, 90000)), invoice_ref=cert.invoice_number)


def _exceptions_and_downloads(ent):
    """打印异常申请 and 证书下载 have something to show: two printed originals not archived yet (one
    with a refused application), one reprinted after an accepted application and archived, one
    downloaded original (archived)."""
    huadong = ent["huadong"]
    own = list(Certificate.select().join(CertificateType)
               .where((Certificate.exporter == huadong) & (Certificate.applicant == huadong)
                      & CertificateType.self_print & CertificateType.e_download
                      & (Certificate.platform == enums.Platform.SINGLE_WINDOW)
                      & (Certificate.issue_date >= datetime.date.today() - datetime.timedelta(days=150)))
               .order_by(Certificate.issue_date.desc(), Certificate.id))
    if len(own) < 4:
        return
    failed, refused, reprinted, downloaded = own[:4]
    now = utcnow()
    # Printed, customs not yet asked to archive them: the original may still be applied for.
    Certificate.update(print_status=enums.PrintStatus.PRINTED, print_count=1).where(
        Certificate.id.in_([failed.id, refused.id])).execute()
    ExceptionApplication.create(
        certificate=refused, enterprise=huadong, reason=enums.ExceptionReason.OTHER,
        details="打印时误用了A4普通纸", status=enums.ExceptionStatus.REFUSED, applied_by="李晓梅",
        applied_at=now - datetime.timedelta(hours=2), receipt_at=now - datetime.timedelta(hours=2),
        receipt_message="异常问题详情与打印记录不符，请核实后重新申请。")
    Certificate.update(print_status=enums.PrintStatus.PRINTED, print_count=2, exception_reprints=1,
                       archive_status=enums.ArchiveStatus.ARCHIVED, archived_at=now - datetime.timedelta(days=1),
                       verification_published_at=now - datetime.timedelta(days=1)).where(
        Certificate.id == reprinted.id).execute()
    ExceptionApplication.create(
        certificate=reprinted, enterprise=huadong, reason=enums.ExceptionReason.CONTENT_MISSING,
        status=enums.ExceptionStatus.REPRINTED, applied_by="李晓梅",
        applied_at=now - datetime.timedelta(days=2), receipt_at=now - datetime.timedelta(days=2),
        receipt_message=enums.ExceptionStatus.ACCEPTED.label, reprinted_at=now - datetime.timedelta(days=1))
    Certificate.update(download_status=enums.DownloadStatus.DOWNLOADED,
                       archive_status=enums.ArchiveStatus.ARCHIVED, archived_at=now - datetime.timedelta(days=3),
                       verification_published_at=now - datetime.timedelta(days=3)).where(
        Certificate.id == downloaded.id).execute()
    DownloadRecord.create(certificate=downloaded, enterprise=huadong, who="李晓梅", original=True,
                          at=now - datetime.timedelta(days=3))
