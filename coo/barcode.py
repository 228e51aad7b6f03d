"""Code 128 barcodes as SVG, for the certificate number printed on every layout.

Our own ~70 lines rather than a dependency: the one symbology we need is a fixed table
(ISO/IEC 15417), we want the SVG sized in millimetres with no human-readable text (the number is
printed as text next to it), and certificate numbers (a type prefix then 15 digits) are kept
narrow by switching to code set C for the digits. The tests decode the printed result with
zbarimg, so a wrong table entry cannot go unnoticed.
"""
# Bar/space widths in modules for symbol values 0-106 (bar first). 106 is the stop symbol with
# its 2-module termination bar.
PATTERNS = (
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212", "221213",
    "221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221", "223211", "221132",
    "221231", "213212", "223112", "312131", "311222", "321122", "321221", "312212", "322112", "322211",
    "212123", "212321", "232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313",
    "231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121", "313121", "211331",
    "231131", "213113", "213311", "213131", "311123", "311321", "331121", "312113", "312311", "332111",
    "314111", "221411", "431111", "111224", "111422", "121124", "121421", "141122", "141221", "112214",
    "112412", "122114", "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111",
    "111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
    "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311", "113141",
    "114131", "311141", "411131", "211412", "211214", "211232", "2331112",
)
CODE_C, CODE_B, START_B, START_C, STOP = 99, 100, 104, 105, 106
QUIET_MODULES = 10


def _digit_run(text: str, start: int) -> int:
    end = start
    while end < len(text) and text[end] in "0123456789":   # not isdigit(): "²"
        end += 1
    return end - start


def encode(text: str) -> list[int]:
    """Symbol values (start, data, check digit, stop) for printable ASCII `text`.

    Code set B for letters; code set C (two digits per symbol) for a run of at least 4 digits
    (or all-digit text of even length), which is where it saves width.
    """
    if not text or any(not 32 <= ord(ch) < 127 for ch in text):
        raise ValueError("Code 128 here encodes non-empty printable ASCII only")
    values = []
    in_c = False
    i = 0
    first_run = _digit_run(text, 0)
    if first_run == len(text) and first_run % 2 == 0 or first_run >= 4:
        values.append(START_C)
        in_c = True
    else:
        values.append(START_B)
    while i < len(text):
        run = _digit_run(text, i)
        if in_c:
            if run >= 2:
                values.append(int(text[i:i + 2]))
                i += 2
                continue
            values.append(CODE_B)
            in_c = False
        # In code set B: switch to C for a long enough even digit run (an odd run's first digit
        # goes in B, so the rest pairs up).
        if run >= 4 and (run % 2 == 0 or run > 4):
            if run % 2:
                values.append(ord(text[i]) - 32)
                i += 1
            values.append(CODE_C)
            in_c = True
            continue
        values.append(ord(text[i]) - 32)
        i += 1
    checksum = (values[0] + sum(pos * v for pos, v in enumerate(values[1:], start=1))) % 103
    return values + [checksum, STOP]


def modules(text: str) -> list[int]:
    """Alternating bar/space widths in modules, bar first, without the quiet zones."""
    return [int(w) for value in encode(text) for w in PATTERNS[value]]


def svg(text: str, module_mm: float = 0.3, height_mm: float = 10.0) -> str:
    """An inline SVG of `text` sized in mm, quiet zones included (white, 10 modules each side)."""
    widths = modules(text)
    total = sum(widths) + 2 * QUIET_MODULES
    x = QUIET_MODULES
    bars = []
    for index, width in enumerate(widths):
        if index % 2 == 0:
            bars.append(f"M{x} 0h{width}v1h-{width}z")
        x += width
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="barcode" width="{total * module_mm:.2f}mm" '
            f'height="{height_mm:.2f}mm" viewBox="0 0 {total} 1" preserveAspectRatio="none">'
            f'<rect width="{total}" height="1" fill="#fff"/>'
            f'<path fill="#000" d="{"".join(bars)}"/></svg>')
