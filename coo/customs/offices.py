"""The issuing offices (签证机构): one table for the seed, the simulator, intake, the layout and
/verify. The code is the customs district code (关区代码) that certificate numbers carry after
the type and the year (E26 3100 …). Intake refuses an office that is not here."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Office:
    code: str
    name_zh: str
    name_en: str
    city_en: str
    officer: str          # the authorised visa officer the simulator signs with (签证官)


OFFICES = (
    Office("2200", "上海海关", "SHANGHAI CUSTOMS", "SHANGHAI", "ZHOU WEIMIN"),
    Office("2300", "南京海关", "NANJING CUSTOMS", "NANJING", "WU XIAOJUN"),
    Office("2900", "杭州海关", "HANGZHOU CUSTOMS", "HANGZHOU", "CHEN JIANHUA"),
    Office("3100", "宁波海关", "NINGBO CUSTOMS", "NINGBO", "LIN HAIYAN"),
    Office("4200", "青岛海关", "QINGDAO CUSTOMS", "QINGDAO", "SUN LIGUO"),
    Office("5100", "广州海关", "GUANGZHOU CUSTOMS", "GUANGZHOU", "HUANG ZHIQIANG"),
    Office("5300", "深圳海关", "SHENZHEN CUSTOMS", "SHENZHEN", "LI MINGHUI"),
    Office("0200", "天津海关", "TIANJIN CUSTOMS", "TIANJIN", "ZHAO GUOQING"),
)
BY_NAME = {o.name_zh: o for o in OFFICES}
BY_CODE = {o.code: o for o in OFFICES}


def find(value: str) -> Office | None:
    """The office named (签证机构 as customs writes it) or coded (关区代码), or None."""
    value = (value or "").strip()
    return BY_NAME.get(value) or BY_CODE.get(value)


def for_name(value: str) -> Office:
    """The office of a stored certificate; one that predates this table prints as written."""
    return find(value) or Office("", value, value, "", "")
