"""证书类别 as data: the 12 types with electronic download and the print-only ones."""
from peewee import *

TYPES = [
    # code, name_zh, name_en, family, self_print, e_download
    ("E", "中国-东盟自贸区原产地证书（输印度尼西亚、新加坡）", "ASEAN-China Free Trade Area Preferential Tariff Certificate of Origin (Form E)", "E", True, True),
    ("C", "一般原产地证书", "Certificate of Origin of the People's Republic of China", "C", True, True),
    ("A", "中国-澳大利亚自贸协定原产地证书", "China-Australia Free Trade Agreement Certificate of Origin", "FTA", True, True),
    ("K", "中国-韩国自贸协定原产地证书", "China-Korea FTA Certificate of Origin", "FTA", True, True),
    ("F", "中国-智利自贸协定原产地证书", "China-Chile FTA Certificate of Origin (Form F)", "FTA", True, True),
    ("N", "中国-新西兰自贸协定原产地证书", "China-New Zealand FTA Certificate of Origin", "FTA", True, True),
    ("X", "中国-新加坡自贸协定原产地证书", "China-Singapore FTA Certificate of Origin", "FTA", True, True),
    ("B", "亚太贸易协定原产地证书（输印度）", "Asia-Pacific Trade Agreement Certificate of Origin (Form B)", "FTA", True, True),
    ("PR", "加工装配证书", "Certificate of Processing / Assembly", "PR", True, True),
    ("TR", "转口证明书", "Certificate of Re-export", "TR", True, True),
    ("RC", "RCEP原产地证书（输日本、新加坡、新西兰、澳大利亚、韩国、印度尼西亚）", "Regional Comprehensive Economic Partnership Agreement Certificate of Origin", "RCEP", True, True),
    ("BR", "RCEP背对背原产地证书（输日本、新加坡、新西兰、澳大利亚、韩国、印度尼西亚）", "RCEP Back-to-Back Certificate of Origin", "RCEP", True, True),
    ("P", "中国-巴基斯坦自贸协定原产地证书", "China-Pakistan FTA Certificate of Origin (Form P)", "FTA", True, False),
    ("L", "中国-秘鲁自贸协定原产地证书", "China-Peru FTA Certificate of Origin", "FTA", True, False),
    ("S", "中国-瑞士自贸协定原产地证书", "China-Switzerland FTA Certificate of Origin", "FTA", True, False),
    ("G", "普惠制原产地证书（格式A）", "Generalized System of Preferences Certificate of Origin (Form A)", "C", False, False),
]


def up(migrator, db):
    rows = [
        {"code": c, "name_zh": zh, "name_en": en, "form_family": fam, "self_print": sp,
         "e_download": ed, "sort_order": i}
        for i, (c, zh, en, fam, sp, ed) in enumerate(TYPES)
    ]
    cols = "code, name_zh, name_en, form_family, self_print, e_download, sort_order"
    for r in rows:
        db.execute_sql(
            f"INSERT INTO certificate_type ({cols}) VALUES ({', '.join([db.param] * 7)})",
            (r["code"], r["name_zh"], r["name_en"], r["form_family"], r["self_print"],
             r["e_download"], r["sort_order"]))


def down(migrator, db):
    db.execute_sql("DELETE FROM certificate_type")
