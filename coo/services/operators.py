"""我的操作员: 新增无卡操作员 and 停用 / 启用. Cardless operators are declarants (申报员) whose
handwritten signature the enterprise may use; their identity is their resident ID number."""
import re

from peewee import IntegrityError

from coo.db import write_transaction
from coo.models import Card, Operator
from coo.params import parse_id
from coo.services import audit
from coo.validators import id_birth_date, id_check_char

PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
PHONE_ERROR = "联系电话应为 11 位手机号，或带区号的固定电话（例如 0571-87654321）。"
ID_TAKEN = "本企业已有该身份证号的操作员，不能重复添加。"


def check_id_number(value: str) -> tuple[str, str]:
    """(normalised number, error message or '') for an 18-digit resident ID (GB 11643)."""
    number = (value or "").strip().upper()
    if not number:
        return number, "请填写身份证号。"
    if len(number) != 18 or not (number[:17].isascii() and number[:17].isdigit()) or number[17] not in "0123456789X":
        return number, "身份证号应为 18 位（前 17 位为数字，最后一位为数字或 X）。"
    if id_birth_date(number) is None:
        return number, "身份证号中的出生日期无效，请核对。"
    if id_check_char(number[:17]) != number[17]:
        return number, "身份证号校验位不正确，请核对。"
    return number, ""


def id_number_taken(enterprise, number: str) -> bool:
    return Operator.select().where((Operator.enterprise == enterprise) & (Operator.id_number == number)).exists()


def create_operator(enterprise, name: str, number: str, phone: str):
    """新增无卡操作员 (the form, `coo.web.forms.OperatorForm`, has checked each field).
    Returns (operator, errors): an ID number the enterprise already has is refused."""
    if id_number_taken(enterprise, number):
        return None, {"id_number": ID_TAKEN}
    try:
        with write_transaction():
            person = Operator.create(enterprise=enterprise, name=name, id_number=number, phone=phone,
                                     is_legal_person=False, is_declarant=True)
            audit.record("operator_create", target=f"operator:{person.id}",
                         detail=f"新增无卡操作员 {name}（{number[:6]}********{number[-4:]}）")
    except IntegrityError:
        return None, {"id_number": ID_TAKEN}
    return person, {}


def operator_or_none(enterprise, operator_id):
    operator_id = parse_id(operator_id)
    if operator_id is None:
        return None
    return Operator.get_or_none((Operator.id == operator_id) & (Operator.enterprise == enterprise))


def set_active(person: Operator, active: bool) -> str:
    """停用 / 启用 a cardless operator. Card holders are managed with their card (数据分中心)."""
    from coo.services.seals import supersede_for_operator
    if person.is_legal_person:
        return "不能停用法人。"
    if Card.select().where(Card.holder == person).exists():
        return "持卡操作员随电子口岸卡管理，请联系当地数据分中心办理。"
    with write_transaction():
        changed = (Operator.update(active=active)
                   .where((Operator.id == person.id) & (Operator.active == (not active))).execute())
        if not changed:
            return f"该操作员已是{'正常' if active else '停用'}状态。"
        audit.record("operator_enable" if active else "operator_disable", target=f"operator:{person.id}",
                     detail=person.name)
        if not active:
            supersede_for_operator(person)
    return ""
