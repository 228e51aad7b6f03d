"""What customs checks before it approves a certificate of a type: the importing countries the
agreement (and the type's electronic exchange) covers, and the origin criteria it knows. One
table for intake and the simulator's ops page. Types of non-preferential certificates (C, PR, TR,
G) go to any country but China and carry no preferential criterion."""
import re

RCEP_E_PARTIES = ("JAPAN", "SINGAPORE", "NEW ZEALAND", "AUSTRALIA", "KOREA", "INDONESIA")

# type code -> (agreement, importing countries allowed or None for any, criteria or None for any)
AGREEMENTS = {
    "E": ("中国-东盟自贸协定", ("INDONESIA", "SINGAPORE"), {"WO", "PE", "RVC", "CTH", "CC", "CTSH", "PSR"}),
    "RC": ("RCEP", RCEP_E_PARTIES, {"WO", "PE", "CTC", "CC", "CTH", "CTSH", "RVC", "ACU", "DMI", "CR"}),
    "BR": ("RCEP", RCEP_E_PARTIES, {"WO", "PE", "CTC", "CC", "CTH", "CTSH", "RVC", "ACU", "DMI", "CR"}),
    "A": ("中国-澳大利亚自贸协定", ("AUSTRALIA",), {"WO", "WP", "PE", "PSR", "CTC", "CC", "CTH", "CTSH", "RVC"}),
    "K": ("中国-韩国自贸协定", ("KOREA",), {"WO", "WP", "PE", "PSR", "CTC", "CC", "CTH", "CTSH", "RVC"}),
    "F": ("中国-智利自贸协定", ("CHILE",), {"WO", "PE", "PSR", "CTC", "CC", "CTH", "CTSH", "RVC"}),
    "N": ("中国-新西兰自贸协定", ("NEW ZEALAND",), {"WO", "WP", "PE", "PSR", "CTC", "CC", "CTH", "CTSH", "RVC"}),
    "X": ("中国-新加坡自贸协定", ("SINGAPORE",), {"WO", "PE", "PSR", "CTC", "CC", "CTH", "CTSH", "RVC"}),
    "B": ("亚太贸易协定", ("INDIA",), {"A", "B", "C", "D", "WO", "PE", "RVC"}),
    "P": ("中国-巴基斯坦自贸协定", ("PAKISTAN",), {"WO", "PE", "PSR", "CTC", "CC", "CTH", "CTSH", "RVC"}),
    "L": ("中国-秘鲁自贸协定", ("PERU",), {"WO", "PE", "PSR", "CTC", "CC", "CTH", "CTSH", "RVC"}),
    "S": ("中国-瑞士自贸协定", ("SWITZERLAND",), {"WO", "PE", "PSR", "CTC", "CC", "CTH", "CTSH", "RVC"}),
}
ALIASES = {"REPUBLIC OF KOREA": "KOREA", "KOREA, REPUBLIC OF": "KOREA", "SOUTH KOREA": "KOREA",
           "THE REPUBLIC OF KOREA": "KOREA", "REPUBLIC OF INDONESIA": "INDONESIA",
           "REPUBLIC OF SINGAPORE": "SINGAPORE", "REPUBLIC OF CHILE": "CHILE", "REPUBLIC OF INDIA": "INDIA"}
CHINA = {"CHINA", "THE PEOPLE'S REPUBLIC OF CHINA", "PEOPLE'S REPUBLIC OF CHINA", "P.R. CHINA", "PRC"}


def country(name: str) -> str:
    key = " ".join((name or "").upper().split())
    return ALIASES.get(key, key)


def country_problem(type_code: str, name: str) -> str:
    """Why `name` cannot be the importing country of this type ('' when it can), in Chinese."""
    value = country(name)
    if value in CHINA:
        return f"进口国 {name} 不能是中国"
    agreement = AGREEMENTS.get(type_code)
    if agreement is None or agreement[1] is None or value in agreement[1]:
        return ""
    return (f"进口国 {name} 不是{agreement[0]}（证书类别 {type_code}）可输往的缔约方，"
            f"本类别可输往：{'、'.join(agreement[1])}")


def criterion_problem(type_code: str, criterion: str) -> str:
    """Why `criterion` is not an origin criterion of this type's agreement ('' when it is)."""
    agreement = AGREEMENTS.get(type_code)
    if agreement is None or agreement[2] is None:
        return ""
    head = re.split(r"[\s(（]", (criterion or "").strip().upper(), maxsplit=1)[0].strip('"')
    if head in agreement[2]:
        return ""
    return (f"原产地标准 {criterion} 不是{agreement[0]}的原产地标准"
            f"（可用：{'、'.join(sorted(agreement[2]))}）")
