"""The certificate forms as data: each form's title, box numbers and captions, goods columns,
declaration and certification wording, and overleaf notes. The template `layouts/form.html` lays
out every form (Form E, RCEP, the bilateral and the national ones) with the shared macros of
`layouts/_macros.html`; a form differs only here.

Goods columns are (box number, caption, width in mm, cell): the cell names what the column prints
(`item`, `marks`, `description`, `marks_description`, `hs`, `criterion`, `quantity`, `invoice`, ...:
`_macros.cell`), and the widths of a form add up to the goods area's 190 mm. Wording may name
`{agreement}` (the form's agreement) and the blanks printed as filled in: `{country}` (the importing
country), `{china}` (CHINA), `{prc}` (THE PEOPLE'S REPUBLIC OF CHINA). An overleaf note is a text, or
(text, (item, ...)) for a note with a list."""
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Ticks:
    """A box of ticks and the remarks (Form E's box 13, RCEP's box 14): `ticks` are (flag, text),
    the flag a key of the layout's `flags`; in a `row` above the remarks, else listed below them."""
    num: int
    caption: str
    top: int               # mm from the top of the sheet
    ticks: tuple
    row: bool = False


@dataclass(frozen=True)
class Form:
    title: str
    subtitle: str          # printed bold under the title
    left: tuple            # ((num, caption, field key), ...) down the left column
    right: tuple           # ((num, caption, field key or None for an empty official box[, height]), ...)
    goods: tuple
    declaration: tuple     # (num, caption, wording)
    certification: tuple   # (num, wording)
    notes: tuple = field(default_factory=tuple)
    agreement: str = ""
    title_note: str = ""          # a plain line between the title and the subtitle
    subtitle_note: str = ""       # plain text after the subtitle
    issued_in: str = "Issued in {prc}"
    official: tuple = ()          # (num, caption, given, not given, signatory): the importing customs' box
    ticks: Ticks | None = None
    bottom_top: int = 213         # mm: where the declaration and the certification start
    goods_top: int = 108          # mm: where the goods area starts; it runs down to the next zone

    @property
    def goods_height(self) -> int:
        return min([self.bottom_top] + ([self.ticks.top] if self.ticks else [])) - self.goods_top


EXPORTER = "Exporter's name, address and country"
TRANSPORT = "Means of transport and route (as far as known)"
CERTIFIED = ("On the basis of the control carried out, it is hereby certified that the information herein is "
             "correct and that the goods described comply with the origin requirements specified in the {agreement}.")
DECLARED = ("The undersigned hereby declares that the above details and statements are correct, that all the goods "
            "were produced in CHINA and that they comply with the origin requirements specified in the {agreement} "
            "for the goods exported to {country}.")
CRITERIA_NOTE = ('The origin criterion: "WO" wholly obtained or produced; "WP" or "PE" produced entirely from '
                 'originating materials; "PSR" satisfying the product specific rules (change in tariff '
                 'classification "CTC", regional value content "RVC xx%").')

# Each form is written out whole, box by box, as it is printed: the entries look alike (`duplicates`
# pairs them by shape) because the forms do. Wording two forms share is a constant above; folding
# more would hide what one form prints behind another's.
FORMS = {
    "E": Form(
        agreement="ASEAN-China Free Trade Area",
        title="ASEAN-China Free Trade Area Preferential Tariff Certificate of Origin",
        title_note="(Combined Declaration and Certificate)", subtitle="FORM E",
        issued_in="Issued in {prc} (Country)",
        left=((1, "Goods consigned from (Exporter's business name, address, country)", "exporter_text"),
              (2, "Goods consigned to (Consignee's name, address, country)", "consignee_text"),
              (3, TRANSPORT, "transport")),
        official=(4, "For Official Use", "Preferential Treatment Given Under ACFTA Preferential Tariff",
                  "Preferential Treatment Not Given (Please state reason/s)",
                  "Signature of Authorised Signatory of the Importing Country"),
        right=(),
        goods=((5, "Item number", 11, "item"), (6, "Marks and numbers on packages", 22, "marks"),
               (7, "Number and type of packages, description of products (including quantity where appropriate "
                   "and HS number of the importing country)", 77, "description_hs"),
               (8, "Origin criterion (see Overleaf Notes)", 20, "criterion_quoted"),
               (9, "Gross weight or other quantity and value (FOB) only when RVC criterion is used", 32, "quantity"),
               (10, "Number and date of invoices", 28, "invoice")),
        declaration=(11, "Declaration by the exporter",
                     "The undersigned hereby declares that the above details and statement are correct; that all "
                     "the products were produced in {china} (Country) and that they comply with the origin "
                     "requirements specified for these products in the Rules of Origin for the ACFTA for the "
                     "products exported to {country} (Importing Country)."),
        certification=(12, "It is hereby certified, on the basis of control carried out, that the declaration by "
                           "the exporter is correct."),
        bottom_top=197,
        ticks=Ticks(13, "", 259, (("retroactive", "Issued Retroactively"), ("exhibition", "Exhibition"),
                                  ("movement", "Movement Certificate"), ("third_party", "Third Party Invoicing")),
                    row=True),
        notes=(
            "Member States which accept this form for the purpose of preferential treatment under the ASEAN-China "
            "Free Trade Area (ACFTA) Preferential Tariff: BRUNEI DARUSSALAM, CAMBODIA, CHINA, INDONESIA, LAOS, "
            "MALAYSIA, MYANMAR, PHILIPPINES, SINGAPORE, THAILAND, VIETNAM.",
            ("CONDITIONS: The main conditions for admission to the preferential treatment are that products sent "
             "to any Member State listed above:",
             ("(i) must fall within a description of products eligible for concessions in the country of destination;",
              "(ii) must comply with the consignment conditions that the products must be consigned directly from "
              "any ACFTA Member State to the importing Member State;",
              "(iii) must comply with the origin criteria given in the next paragraph.")),
            ("ORIGIN CRITERIA: For exports to the above-mentioned countries to be eligible for preferential "
             "treatment, the requirement is that either:",
             ("(i) the products wholly obtained in the exporting Member State (\"WO\");",
              "(ii) the products produced entirely in a Member State exclusively from originating materials (\"PE\");",
              "(iii) not less than 40% of the content originates from ACFTA Member States (\"RVC 40%\"), or a "
              "change in tariff heading (\"CTH\"), or a product specific rule (\"PSR\").")),
            "EACH ARTICLE MUST QUALIFY: It should be noted that all the products in a consignment must qualify "
            "separately in their own right.",
            "DESCRIPTION OF PRODUCTS: The description of products must be sufficiently detailed to enable the "
            "products to be identified by the Customs Officers examining them. Name of manufacturer, any trade "
            "mark shall also be specified.",
            "The Harmonised System number shall be that of the importing Member State.",
            "The term \"Exporter\" in Box 11 may include the manufacturer or the producer. In the case of a "
            "Movement Certificate, the term \"Exporter\" also includes the exporter in the intermediate Member State.",
            "FOR OFFICIAL USE: The Customs Authority of the importing Member State must indicate (√) in the "
            "relevant boxes in column 4 whether or not preferential treatment is accorded.",
            "THIRD COUNTRY INVOICING: In cases where invoices are issued by a third country, \"Third Party "
            "Invoicing\" in Box 13 should be ticked (√). The invoice number should be indicated in Box 10, and the "
            "name and country of the company issuing the invoice in the remarks of Box 13.",
            "EXHIBITIONS: In cases where products are sent from the exporting Member State for exhibition in "
            "another country and sold during or after the exhibition into a Member State, \"Exhibition\" in Box 13 "
            "should be ticked.",
            "ISSUED RETROACTIVELY: In exceptional cases, due to involuntary errors or omissions or other valid "
            "causes, the Certificate of Origin (Form E) may be issued retroactively and \"Issued Retroactively\" in "
            "Box 13 ticked.")),
    "RC": Form(
        agreement="Regional Comprehensive Economic Partnership Agreement",
        title="Regional Comprehensive Economic Partnership Agreement", subtitle="CERTIFICATE OF ORIGIN",
        left=((1, EXPORTER, "exporter_text"), (2, "Producer's name, address and country (if known)", "producer_text"),
              (3, "Importer's or consignee's name, address and country", "consignee_text"),
              (4, "Means of transport and route (if known)", "transport")),
        official=(5, "For official use", "Preferential tariff treatment given under RCEP Agreement",
                  "Preferential tariff treatment not given (please state reason/s)",
                  "Signature of authorised signatory of the customs authority of the importing country"),
        right=(),
        goods=((6, "Item number", 10, "item"), (7, "Marks and numbers", 18, "marks"),
               (8, "Number and kind of packages; and description of goods", 52, "description"),
               (9, "HS code of the goods (6 digit-level)", 18, "hs"), (10, "Origin conferring criterion", 20, "criterion"),
               (11, "RCEP country of origin", 20, "rcep_country"),
               (12, "Quantity (gross weight or other measurement), and value (FOB) where RVC is applied", 27, "quantity"),
               (13, "Invoice number(s) and date of invoice(s)", 25, "invoice")),
        ticks=Ticks(14, "Remarks", 197, (("back_to_back", "Back-to-back CO"), ("third_party", "Third-party invoicing"),
                                         ("retroactive", "Issued retroactively"))),
        declaration=(15, "Declaration by the exporter or producer",
                     "The undersigned hereby declares that the above details and statements are correct and that "
                     "the goods covered in this Certificate comply with the requirements specified for these goods "
                     "in the {agreement}. These goods are exported to {country} (importing country)."),
        certification=(16, "On the basis of control carried out, it is hereby certified that the information herein "
                           "is correct and that the goods described comply with the origin requirements specified in "
                           "the {agreement}."),
        notes=(
            "This Certificate of Origin is issued under the Regional Comprehensive Economic Partnership Agreement "
            "(RCEP). It shall be in English and completed in a legible and permanent manner.",
            "Box 1: state the full legal name and address (including country) of the exporter. Box 2: state the "
            "full legal name and address of the producer if known; if more than one, state \"VARIOUS\" or attach a list.",
            "Box 3: state the full legal name and address of the importer or consignee, if known.",
            "Box 4: state the means of transport and route, such as the departure date, transport vehicle number "
            "and port of discharge, if known.",
            "Box 5: the customs authority of the importing Party shall indicate whether preferential tariff "
            "treatment is given or not given.",
            "Box 8: the description of the goods shall be sufficiently detailed to enable the customs officers of "
            "the importing Party to identify the goods. After the last entry the list is closed with asterisks.",
            ("Box 9: the HS code of the goods at the 6-digit level. Box 10: the origin conferring criterion:",
             ("WO — goods wholly obtained or produced in a Party;",
              "PE — goods produced entirely in a Party exclusively from originating materials;",
              "CTC — change in tariff classification (CC, CTH, CTSH); RVC — regional value content;",
              "ACU — accumulation; DMI — de minimis; CR — chemical reaction.")),
            "Box 11: the RCEP country of origin as determined under Article 2.6 of Chapter 3 of the Agreement.",
            "Box 12: the quantity, and the FOB value where the RVC criterion is applied.",
            "Box 14: tick \"Back-to-back CO\", \"Third-party invoicing\" or \"Issued retroactively\" as the case may be.",
            "Box 15: this box shall be completed, signed and dated by the exporter or producer. Box 16: completed, "
            "dated and stamped by the issuing body of the exporting Party.")),
    "A": Form(
        agreement="Free Trade Agreement between the Government of Australia and the Government of the People's "
                  "Republic of China",
        title="China-Australia Free Trade Agreement", subtitle="CERTIFICATE OF ORIGIN",
        left=((1, EXPORTER, "exporter_text"), (2, "Producer's name and address (if known)", "producer_text"),
              (3, "Importer's name, address and country (if known)", "consignee_text"),
              (4, TRANSPORT, "transport")),
        right=((5, "For official use only", None), (6, "Remarks", "remarks")),
        goods=((7, "Item number (max. 20)", 11, "item"), (8, "Marks and numbers on packages", 22, "marks"),
               (9, "Number and kind of packages; description of goods", 60, "description"),
               (10, "HS code (6-digit code)", 19, "hs"), (11, "Origin criterion", 20, "criterion"),
               (12, "Gross weight, quantity (quantity unit) or other measures (litres, m³, etc.)", 30, "quantity"),
               (13, "Invoice number and date", 28, "invoice")),
        declaration=(14, "Declaration by the exporter or producer", DECLARED),
        certification=(15, CERTIFIED),
        notes=("Box 1: the full legal name and address (including country) of the exporter.",
               "Box 2: the producer's name and address if known; more than one producer may be listed; "
               "\"AVAILABLE TO CUSTOMS UPON REQUEST\" may be stated.",
               "Box 7: not more than 20 items shall be declared on one certificate.",
               "Box 10: the HS code of the importing Party at the 6-digit level.", CRITERIA_NOTE,
               "Box 14 is completed and signed by the exporter or producer; Box 15 by the authorised body of China.",
               "The certificate is valid for 12 months from the date of issue.")),
    "K": Form(
        agreement="Free Trade Agreement between the Government of the People's Republic of China and the Government "
                  "of the Republic of Korea",
        title="China-Korea Free Trade Agreement", subtitle="CERTIFICATE OF ORIGIN",
        left=((1, "Exporter's name, address and country", "exporter_text"),
              (2, "Producer's name, address and country", "producer_text"),
              (3, "Consignee's name, address and country", "consignee_text"),
              (4, "Means of transport and route (as far as known): departure date, vessel / flight / train / "
                  "vehicle No., port of loading, port of discharge", "transport")),
        right=((5, "Remarks", "remarks"),),
        goods=((6, "Item number", 11, "item"), (7, "Marks and numbers on packages", 22, "marks"),
               (8, "Number and kind of packages; description of goods", 62, "description"),
               (9, "HS code (six-digit code)", 19, "hs"), (10, "Origin criterion", 20, "criterion"),
               (11, "Gross weight or other quantity (e.g. quantity unit, litres, m³)", 30, "quantity"),
               (12, "Number and date of invoices", 26, "invoice")),
        declaration=(13, "Declaration by the exporter", DECLARED),
        certification=(14, CERTIFIED),
        notes=("The certificate shall be in English and completed in a legible and permanent manner.",
               "Box 2: if more than one producer, state \"VARIOUS\" or attach a list; \"AVAILABLE UPON REQUEST\" "
               "may be stated.", "Box 9: the HS code of the goods at the six-digit level.", CRITERIA_NOTE,
               "Box 12: where invoices are issued by a non-Party operator, the name of the company issuing "
               "the invoice is stated in Box 5 (Remarks).",
               "The certificate is valid for one year from the date of issue in the exporting Party.")),
    "F": Form(
        agreement="Free Trade Agreement between the Government of the People's Republic of China and the Government "
                  "of the Republic of Chile",
        title="China-Chile Free Trade Agreement", subtitle="CERTIFICATE OF ORIGIN — FORM F",
        left=((1, "Exporter's name, address and country", "exporter_text"),
              (2, "Producer's name and address, if known", "producer_text"),
              (3, "Consignee's name, address and country", "consignee_text"),
              (4, TRANSPORT, "transport")),
        right=((5, "For official use only", None), (12, "Remarks", "remarks")),
        goods=((6, "Item number", 12, "item"),
               (7, "Number and kind of packages; description of goods", 84, "marks_description"),
               (8, "HS code (six-digit code)", 20, "hs"), (9, "Origin criterion", 20, "criterion"),
               (10, "Gross weight or other quantity", 28, "quantity"), (11, "Number and date of invoices", 26, "invoice")),
        declaration=(13, "Declaration by the exporter", DECLARED),
        certification=(14, CERTIFIED),
        notes=("Box 1 and Box 3: the full legal name, address and country of the exporter and the consignee.",
               "Box 7: marks and numbers, number and kind of packages and a description of each good detailed "
               "enough to identify it; the list is closed with asterisks.",
               "Box 8: the HS code at the six-digit level.", CRITERIA_NOTE,
               "The certificate is valid for one year from the date of issue.")),
    "N": Form(
        agreement="Free Trade Agreement between the Government of New Zealand and the Government of the People's "
                  "Republic of China",
        title="China-New Zealand Free Trade Agreement", subtitle="CERTIFICATE OF ORIGIN",
        left=((1, "Exporter's name, address and country", "exporter_text"),
              (2, "Producer's name and address (if known)", "producer_text"),
              (3, "Importer's name, address and country (if known)", "consignee_text"),
              (4, TRANSPORT, "transport")),
        right=((5, "For official use only", None), (12, "Remarks", "remarks")),
        goods=((6, "Item number", 12, "item"),
               (7, "Marks and numbers on packages; number and kind of packages; description of goods", 82,
                "marks_description"),
               (8, "HS code (six-digit code)", 20, "hs"), (9, "Origin criterion", 20, "criterion"),
               (10, "Gross weight or other quantity and FOB value", 30, "quantity"),
               (11, "Invoice number and date", 26, "invoice")),
        declaration=(13, "Declaration by the exporter", DECLARED),
        certification=(14, CERTIFIED),
        notes=("Box 2: \"AVAILABLE UPON REQUEST\" may be stated where the producer wishes its details kept confidential.",
               "Box 8: the HS code at the six-digit level.", CRITERIA_NOTE,
               "Box 10: the FOB value is stated where the RVC criterion is applied.",
               "The certificate is valid for one year from the date of issue.")),
    "X": Form(
        agreement="Free Trade Agreement between the Government of the People's Republic of China and the Government "
                  "of the Republic of Singapore",
        title="China-Singapore Free Trade Agreement", subtitle="PREFERENTIAL CERTIFICATE OF ORIGIN",
        left=((1, "Goods consigned from (exporter's business name, address, country)", "exporter_text"),
              (2, "Goods consigned to (consignee's name, address, country)", "consignee_text"),
              (3, TRANSPORT, "transport")),
        right=((4, "For official use", "remarks"),),
        goods=((5, "Item number", 11, "item"), (6, "Marks and numbers on packages", 22, "marks"),
               (7, "Number and type of packages, description of goods", 62, "description"),
               (8, "HS code (six-digit code)", 19, "hs"), (9, "Origin criterion", 20, "criterion"),
               (10, "Gross or net weight or other quantity, and value (FOB)", 30, "quantity"),
               (11, "Number and date of invoices", 26, "invoice")),
        declaration=(12, "Declaration by the exporter", DECLARED),
        certification=(13, CERTIFIED),
        notes=("Box 4 is for the official use of the customs authority of the importing Party; remarks of the "
               "issuing authority are given there.", "Box 8: the HS code at the six-digit level.", CRITERIA_NOTE,
               "The certificate is valid for one year from the date of issue.")),
    "B": Form(
        agreement="Asia-Pacific Trade Agreement",
        title="Asia-Pacific Trade Agreement", subtitle="(Combined declaration and certificate) — FORM B",
        left=((1, "Goods consigned from (exporter's business name, address, country)", "exporter_text"),
              (2, "Goods consigned to (consignee's name, address, country)", "consignee_text"),
              (4, "Means of transport and route", "transport")),
        right=((3, "For official use", "remarks"),),
        goods=((5, "Tariff item number", 19, "hs"), (6, "Marks and number of packages", 24, "marks"),
               (7, "Number and kind of packages / description of goods", 69, "description"),
               (8, "Origin criterion (see notes overleaf)", 22, "criterion"),
               (9, "Gross weight or other quantity", 30, "quantity"), (10, "Number and date of invoices", 26, "invoice")),
        declaration=(11, "Declaration by the exporter",
                     "The undersigned hereby declares that the above details and statements are correct; that all "
                     "the goods were produced in CHINA and that they comply with the origin requirements specified "
                     "for these goods in the Asia-Pacific Trade Agreement for goods exported to {country}."),
        certification=(12, "It is hereby certified on the basis of control carried out, that the declaration "
                           "by the exporter is correct."),
        notes=("Box 5: the tariff item number (HS, at least six digits) of the importing country.",
               "Box 8: \"A\" wholly produced; \"B\" not less than 45 % of content from non-originating "
               "materials (35 % for least developed participating States); \"C\" cumulative origin; \"D\" "
               "special criteria. Where a number follows, it is the percentage of non-originating content.",
               "Each article must qualify separately.",
               "The certificate is valid for one year from the date of issue.")),
}
FORMS["BR"] = replace(FORMS["RC"], subtitle_note="(BACK-TO-BACK)")
GENERIC_NOTES = ("Box 1: the full legal name and address of the exporter in China; the consignee's in the "
                 "importing Party.", "The HS code of the goods is stated at the six-digit level.", CRITERIA_NOTE,
                 "The certificate is valid for one year from the date of issue.")


def form_for(cert_type) -> Form:
    """The form of a type, laid out by layouts/form.html: Form E, RCEP (RC, BR), the bilateral ones
    (print-only P, L, S get a form of the same layout) and the national ones (C, PR, TR; G prints as
    the general CO)."""
    if cert_type.form_family in NATIONAL:
        return NATIONAL[cert_type.form_family]
    form = FORMS.get(cert_type.code)
    if form is not None:
        return form
    name = cert_type.name_en.replace(" Certificate of Origin", "")
    return Form(
        agreement=name, title=name, subtitle="CERTIFICATE OF ORIGIN",
        left=FORMS["K"].left, right=FORMS["K"].right,
        goods=FORMS["K"].goods, declaration=(13, "Declaration by the exporter", DECLARED),
        certification=(14, CERTIFIED), notes=GENERIC_NOTES)


# The goods columns of the national certificates (the other forms carry theirs in `Form.goods`).
GOODS_COLUMNS = {
    "C": ((6, "Marks and numbers", 28, "marks"), (7, "Number and kind of packages; description of goods", 86, "description"),
          (8, "H.S. Code", 22, "hs"), (9, "Quantity", 28, "quantity_only"), (10, "Number and date of invoices", 26, "invoice")),
    "PR": ((6, "Marks and numbers", 28, "marks"),
           (7, "Number and kind of packages; description of the goods processed or assembled", 86, "description_processing"),
           (8, "H.S. Code", 22, "hs"), (9, "Quantity and value", 28, "quantity"), (10, "Number and date of invoices", 26, "invoice")),
    "TR": ((6, "Marks and numbers", 28, "marks"),
           (7, "Number and kind of packages; description of the goods and their country / region of origin", 86,
            "description_origin"),
           (8, "H.S. Code", 22, "hs"), (9, "Quantity and value", 28, "quantity"), (10, "Number and date of invoices", 26, "invoice")),
}
# The national certificates (general CO, 加工装配证书, 转口证明书): the same boxes 1-12.
def _national(code, title, subtitle, agreement, exporter, declaration_caption, declaration, certification, notes):
    return Form(agreement=agreement, title=title, subtitle=subtitle,
                left=((1, exporter, "exporter_text"), (2, "Consignee", "consignee_text"),
                      (3, "Means of transport and route", "transport")),
                right=((4, "Country / region of destination", "importing_country", "h-12"),
                       (5, "For certifying authority use only", "remarks", "h-24")),
                goods=GOODS_COLUMNS[code], declaration=(11, declaration_caption, declaration),
                certification=(12, certification), notes=notes)


NATIONAL = {
    "C": _national("C", "Certificate of Origin", "OF THE PEOPLE'S REPUBLIC OF CHINA",
                   "Regulations of the People's Republic of China on the Origin of Export Goods", "Exporter",
                   "Declaration by the exporter", "The undersigned hereby declares that the above details and statements are correct, that all the goods were produced in China and that they comply with the Rules of Origin of the People's Republic of China.",
                   "It is hereby certified that the declaration by the exporter is correct.", (
        "This certificate is issued under the Regulations of the People's Republic of China on the Origin of Export Goods. It certifies that the goods described on the front originate in the People's Republic of China.",
        "Box 1: the exporter's full name, detailed address and country. Box 2: the consignee's full name, address and country/region; \"TO ORDER\" may be stated when the consignee is not known.",
        "Box 3: the port of loading, port of discharge and means of transport; where goods are transhipped, the place of transhipment.",
        "Box 7: the number and kind of packages and a description of the goods detailed enough to identify them; the list is closed with asterisks after the last entry.",
        "Box 8: the Harmonized System code of the goods, at least the six-digit subheading. Box 9: the quantity with its unit, or the gross weight.",
        "Box 10: the number and date of the commercial invoice; the date of the invoice shall not be later than the date of issue of this certificate.",
        "Box 11 is signed and stamped by the exporter's authorised signatory; Box 12 is completed by the certifying authority.",
        "Any alteration made on this certificate renders it invalid. It shall be verified through the verification system of China Customs (see below).",)),
    "PR": _national("PR", "Certificate of Processing / Assembly", "", "", "Processor / Exporter",
                    "Declaration by the processor / exporter", "The undersigned hereby declares that the above details and statements are correct and that the goods described above were processed or assembled in China from the materials stated.",
                    "It is hereby certified that the goods described above were processed or assembled in the "
                    "People's Republic of China in the manner stated by the processor / exporter.", (
        "This certificate is issued for goods processed or assembled in the People's Republic of China from imported materials or parts, at the request of the processor or exporter. It states where the processing or assembly took place; it is not a certificate of preferential origin.",
        "Box 1: the processor's or exporter's full name, address and country. Box 2: the consignee's full name and address.",
        "Box 7: a description of the goods as processed or assembled, detailed enough to identify them, with the processing or assembly carried out; the list is closed with asterisks.",
        "Box 9: the quantity with its unit and the value of the goods.",
        "Box 11 is signed and stamped by the processor's or exporter's authorised signatory; Box 12 is completed by the certifying authority.",
        "Any alteration made on this certificate renders it invalid.",)),
    "TR": _national("TR", "Certificate of Re-export", "", "", "Re-exporter", "Declaration by the re-exporter", "The undersigned hereby declares that the above details and statements are correct and that the goods described above were imported into and re-exported from China without any processing other than that needed to keep them in good condition.",
                    "It is hereby certified that the goods described above were re-exported from the People's "
                    "Republic of China and that the declaration by the re-exporter is correct.", (
        "This certificate is issued for goods of foreign origin imported into and re-exported from the People's Republic of China. It is not a certificate of Chinese origin.",
        "Box 1: the re-exporter's full name, address and country. Box 2: the consignee's full name and address.",
        "Box 7: a description of the goods detailed enough to identify them, with their country or region of origin as stated on the import documents; the list is closed with asterisks.",
        "The goods shall not have undergone any processing in China other than operations to keep them in good condition, such as unloading, reloading and storage.",
        "Box 11 is signed and stamped by the re-exporter's authorised signatory; Box 12 is completed by the certifying authority.",
        "Any alteration made on this certificate renders it invalid.",)),
}


DESCRIPTION_CELLS = {"description", "marks_description", "description_hs", "description_processing", "description_origin"}


def goods_columns(cert_type) -> tuple:
    """(box number, caption, width mm, cell) of a type's goods area, front and attached sheet alike."""
    return form_for(cert_type).goods
