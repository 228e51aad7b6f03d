"""Customs approving a new certificate, played by ops (the 海关模拟器 page, `flask coo
simulator-approve`): a realistic approved record (docs/certificate.schema.json) is built, kept
in the simulator's state (a `SimulatorMessage` of kind "certificate") and handed to
`coo.services.intake`, exactly as one from the signed endpoint would be.
"""
import datetime
import json

from coo import enums
from coo.clock import today_local, utcnow
from coo.customs import offices, visa
from coo.models import Certificate, CertificateType, Enterprise, Operator, SimulatorMessage
from coo.params import parse_id
from coo.services import intake

# Importing countries offered by the ops page, with a consignee and port each.
COUNTRIES = {
    "INDONESIA": ("PT SINAR JAYA ABADI", "JL. GATOT SUBROTO KAV. 52, JAKARTA 12950, INDONESIA", "JAKARTA"),
    "SINGAPORE": ("LIONCITY TRADING PTE. LTD.", "10 ANSON ROAD #22-01, SINGAPORE 079903", "SINGAPORE"),
    "JAPAN": ("KANTO SHOJI CO., LTD.", "2-4-1 SHIBAKOEN, MINATO-KU, TOKYO 105-0011, JAPAN", "TOKYO"),
    "KOREA": ("HANBIT TRADING CO., LTD.", "123 TEHERAN-RO, GANGNAM-GU, SEOUL, KOREA", "BUSAN"),
    "AUSTRALIA": ("SOUTHERN CROSS IMPORTS PTY LTD", "45 GEORGE STREET, SYDNEY NSW 2000, AUSTRALIA", "SYDNEY"),
    "NEW ZEALAND": ("KIWI HOME GOODS LIMITED", "12 QUEEN STREET, AUCKLAND 1010, NEW ZEALAND", "AUCKLAND"),
    "CHILE": ("ANDES COMERCIAL SPA", "AV. PROVIDENCIA 1234, SANTIAGO, CHILE", "SAN ANTONIO"),
    "INDIA": ("BHARAT IMPEX PVT. LTD.", "PLOT 7, MIDC ANDHERI EAST, MUMBAI 400093, INDIA", "NHAVA SHEVA"),
    "PAKISTAN": ("INDUS TRADERS (PVT) LTD.", "PLOT 22, SITE AREA, KARACHI, PAKISTAN", "KARACHI"),
}
GOODS = [
    ("COTTON T-SHIRTS FOR MEN, KNITTED", "6109.10", "WO", "PCS"),
    ("STAINLESS STEEL KITCHEN SINKS", "7324.10", "RVC 45%", "SETS"),
    ("LED LAMPS FOR INDOOR LIGHTING", "8539.52", "CTH", "PCS"),
    ("CERAMIC TABLEWARE SETS", "6912.00", "PE", "SETS"),
    ("ELECTRIC KETTLES, 1.7L", "8516.79", "RVC 40%", "PCS"),
    ("POLYESTER WOVEN FABRIC", "5407.61", "CC", "MTRS"),
]
# The offices the simulator approves at (the one table: coo.customs.offices).
OFFICES = [offices.BY_NAME[name] for name in ("杭州海关", "宁波海关", "南京海关", "上海海关")]


def _criterion(type_code: str, criterion: str) -> str:
    """What the goods line's criterion box holds: a re-export certificate names the goods'
    country of origin, a processing certificate the work done in China."""
    return {"TR": "JAPAN", "PR": "ASSEMBLY OF IMPORTED PARTS"}.get(type_code, criterion)


def certificate_record(exporter, applicant, cert_type, country: str, sequence: int) -> dict:
    """A realistic approved certificate (docs/certificate.schema.json), fixed by `sequence`."""
    consignee, address, port = COUNTRIES[country]
    now = utcnow()
    issued = today_local()
    office = OFFICES[sequence % len(OFFICES)]
    office_code = office.code
    number = f"{cert_type.code}{issued:%y}{office_code}{sequence:09d}"
    invoice = f"INV{issued:%Y%m}S{sequence:05d}"
    goods = []
    for line in range(1 + sequence % 3):
        desc, hs, criterion, unit = GOODS[(sequence + line) % len(GOODS)]
        goods.append({"line_no": line + 1, "marks": "N/M", "description": desc, "hs_code": hs,
                      "quantity": f"{(sequence * 7 + line * 13) % 90 * 100 + 100} {unit}",
                      "origin_criterion": _criterion(cert_type.code, criterion),
                      "fob_value": f"{(sequence * 131 + line * 977) % 90000 + 1000}.00",
                      "currency": "USD", "invoice_ref": invoice})
    creator = (Operator.select().where((Operator.enterprise == applicant) & ~Operator.is_legal_person)
               .order_by(Operator.id).first())
    return {
        "number": number, "type": cert_type.code, "invoice_number": invoice,
        "invoice_date": issued.isoformat(),
        "exporter_uscc": exporter.uscc, "applicant_uscc": applicant.uscc,
        "exporter_text": f"{exporter.name_en}\n{exporter.address_en}",
        "consignee_text": f"{consignee}\n{address}",
        "producer_text": "SAME AS EXPORTER",
        "importing_country": country,
        "transport_text": f"FROM NINGBO, CHINA TO {port}, {country} BY SEA",
        "departure_date": (issued + datetime.timedelta(days=3)).isoformat(),
        "remarks": "",
        "issue_date": issued.isoformat(), "issuing_office": office.name_zh,
        "certification": visa.certification_for(office),
        "platform": enums.Platform.SINGLE_WINDOW.value,
        "creator": creator.name if creator else applicant.name_zh,
        "approved_at": now.replace(tzinfo=datetime.timezone.utc).isoformat(timespec="seconds"),
        "goods": goods,
        **({"original_certificate_number": f"KR{issued:%y}-{sequence % 100000:05d}-BTB",
            "original_certificate_date": (issued - datetime.timedelta(days=20)).isoformat()}
           if cert_type.code == "BR" else {}),
    }


def approve_certificate(exporter, applicant, cert_type, country: str):
    """Customs approves a new certificate: it is recorded in the simulator's state and goes
    through intake like one from the signed endpoint. Returns the Certificate; raises
    `coo.services.intake.IntakeError` when intake refuses it."""
    if country not in COUNTRIES:
        raise intake.IntakeError("invalid", [f"importing_country：不支持的进口国 {country}"])
    sequence = 500000000 + SimulatorMessage.select().where(SimulatorMessage.kind == "certificate").count() + 1
    while True:
        record = certificate_record(exporter, applicant, cert_type, country, sequence)
        if not Certificate.select().where(Certificate.number == record["number"]).exists():
            break
        sequence += 1
    SimulatorMessage.create(reference=f"CERT-{record['number']}", kind="certificate",
                            payload=json.dumps(record, ensure_ascii=False), calls=1,
                            delivered_at=utcnow(), answered_at=utcnow(), ok=True, message="审批通过")
    return intake.import_certificate(record)


def approve_by_ids(exporter_id, applicant_id, type_code, country):
    """The ops page's 审批通过: the same as `approve_certificate`, from submitted ids."""
    errors = []
    exporter = Enterprise.get_or_none((Enterprise.id == _as_int(exporter_id)) & Enterprise.is_exporter)
    applicant = Enterprise.get_or_none(Enterprise.id == _as_int(applicant_id))
    cert_type = CertificateType.get_or_none(CertificateType.code == (type_code or ""))
    if exporter is None:
        errors.append("请选择出口商。")
    if applicant is None:
        errors.append("请选择申请人。")
    elif exporter is not None and applicant.id != exporter.id and not applicant.is_agent:
        errors.append("申请人须为出口商本身或代理录入申报企业。")
    if cert_type is None:
        errors.append("请选择证书类别。")
    if country not in COUNTRIES:
        errors.append("请选择进口国。")
    if errors:
        raise intake.IntakeError("invalid", errors)
    return approve_certificate(exporter, applicant, cert_type, country)


def _as_int(value):
    return parse_id(value) or 0
