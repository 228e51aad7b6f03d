"""The control runs where the users are: Python 3.8+ (vermin over coo/printcontrol), and the
Windows backend's platform-independent part — rendering at the printer's resolution, real-size
page placement, the duplex/colour request, SumatraPDF's command line — tested here, with the
spooler behind its one seam (`spool_pdf`'s surface)."""
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from coo.printcontrol import backends, windows
from coo.printcontrol.backends import PrintError, SetupError
from coo.printcontrol.windows import Device, WindowsBackend, place_page, request_duplex_colour, spool_pdf

ROOT = Path(__file__).resolve().parent.parent


def test_the_control_needs_nothing_newer_than_python_3_8():
    vermin = Path(sys.executable).parent / "vermin"
    result = subprocess.run([str(vermin), "--no-tips", "--violations", "--eval-annotations", "-t=3.8-",
                             "coo/printcontrol"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_platform_picks_its_own_spooler():
    assert backends.default_backend_name("Windows") == "windows"
    assert backends.default_backend_name("Linux") == "cups"
    assert backends.default_backend_name("Darwin") == "cups"


# A4 at 300 dpi, as a laser printer's driver reports it (GetDeviceCaps).
A4_300 = Device(dpi_x=300, dpi_y=300, physical_width=2480, physical_height=3508, offset_x=50, offset_y=60,
                printable_width=2380, printable_height=3388)
LETTER_300 = Device(300, 300, 2550, 3300, 50, 50, 2450, 3200)


@pytest.fixture(scope="module")
def square_pdf(tmp_path_factory):
    """Two A4 pages, each with a 40 mm black square 20 mm from the left and 30 mm from the top
    (the size of a round company seal)."""
    import weasyprint
    page = ('<section style="break-after: page; position: relative; height: 297mm">'
            '<div style="position: absolute; left: 20mm; top: 30mm; width: 40mm; height: 40mm;'
            ' background: #000"></div></section>')
    path = tmp_path_factory.mktemp("pdf") / "square.pdf"
    path.write_bytes(weasyprint.HTML(string=f"<style>@page {{ size: A4; margin: 0 }} body {{ margin: 0 }}"
                                            f"</style>{page}{page}").write_pdf())
    return path


class SheetSurface:
    """The seam's other side here: each page is drawn on a white sheet of the device's physical
    size (what would come out of the printer), instead of a device context."""

    def __init__(self, device):
        self.device = device
        self.sheets = []
        self.title = None
        self.ended = self.aborted = False

    def start(self, title):
        self.title = title

    def page(self, image, box):
        sheet = Image.new("RGB", (self.device.physical_width, self.device.physical_height), "white")
        left, top, right, bottom = box
        sheet.paste(image.convert("RGB").resize((right - left, bottom - top)),
                    (left + self.device.offset_x, top + self.device.offset_y))
        self.sheets.append(sheet)

    def end(self):
        self.ended = True

    def abort(self):
        self.aborted = True


def black_box(sheet):
    return Image.eval(sheet.convert("L"), lambda v: 255 if v < 128 else 0).getbbox()


def mm(pixels, dpi=300):
    return pixels / dpi * 25.4


def test_pages_print_at_real_size_where_the_layout_put_them(square_pdf):
    surface = SheetSurface(A4_300)
    assert spool_pdf(square_pdf, "E261234567890123-original", surface) == 2
    assert surface.ended and not surface.aborted and surface.title == "E261234567890123-original"
    for sheet in surface.sheets:
        left, top, right, bottom = black_box(sheet)
        assert abs(mm(right - left) - 40) < 0.3 and abs(mm(bottom - top) - 40) < 0.3     # not scaled
        assert abs(mm(left) - 20) < 0.3 and abs(mm(top) - 30) < 0.3                       # not moved


def test_a_printer_with_other_resolutions_still_prints_real_size(square_pdf):
    device = Device(600, 300, 4960, 3508, 100, 60, 4760, 3388)
    box = place_page(595.28, 841.89, device)
    assert box[2] - box[0] == 4961 and box[3] - box[1] == 3508
    surface = SheetSurface(device)
    spool_pdf(square_pdf, "t", surface)
    left, top, right, bottom = black_box(surface.sheets[0])
    assert abs(mm(right - left, 600) - 40) < 0.3 and abs(mm(bottom - top, 300) - 40) < 0.3


def test_a_sheet_smaller_than_the_certificate_is_refused_not_shrunk(square_pdf):
    surface = SheetSurface(LETTER_300)
    with pytest.raises(PrintError, match="请放入 A4 纸"):
        spool_pdf(square_pdf, "t", surface)
    assert surface.aborted and not surface.ended


class DevMode:
    """The members of a DEVMODE the request sets (pywin32's PyDEVMODE has them by these names)."""
    Fields = 0x1          # DM_ORIENTATION already set by the driver
    Duplex = 1            # DMDUP_SIMPLEX
    Color = 1             # DMCOLOR_MONOCHROME


def test_the_spooler_is_asked_for_duplex_on_the_long_edge_and_colour():
    devmode = request_duplex_colour(DevMode())
    assert devmode.Duplex == windows.DMDUP_VERTICAL == 2
    assert devmode.Color == windows.DMCOLOR_COLOR == 2
    assert devmode.Fields & windows.DM_DUPLEX and devmode.Fields & windows.DM_COLOR and devmode.Fields & 0x1


def test_sumatrapdf_prints_real_size_duplex_colour_silently(tmp_path):
    command = windows.sumatra_command(r"C:\Program Files\SumatraPDF\SumatraPDF.exe", "HP Color LaserJet",
                                      tmp_path / "original.pdf")
    assert command[1:3] == ["-print-to", "HP Color LaserJet"]
    settings = command[command.index("-print-settings") + 1].split(",")
    assert {"noscale", "duplexlong", "color"} <= set(settings)
    assert "-silent" in command and command[-1] == str(tmp_path / "original.pdf")


class FolderSpooler:
    """A spooler for the backend's own test: prints pages as PNG files."""

    def __init__(self, folder):
        self.folder = folder

    def printers(self):
        return ["Folder"]

    def default_printer(self):
        return "Folder"

    def print_pdf(self, printer, title, path):
        surface = SheetSurface(A4_300)
        pages = spool_pdf(path, title, surface)
        for number, sheet in enumerate(surface.sheets, 1):
            sheet.save(self.folder / f"{title}-{number}.png")
        return f"{printer}: {pages} 页"


def test_the_windows_backend_prints_through_its_spooler(square_pdf, tmp_path):
    backend = WindowsBackend(spooler=FolderSpooler(tmp_path))
    assert backend.printers() == ["Folder"] and backend.printer == "Folder"
    assert backend.print_pdf(square_pdf, "E1-original") == "Folder: 2 页"
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["E1-original-1.png", "E1-original-2.png"]


def test_without_pywin32_or_sumatrapdf_the_windows_backend_says_what_to_install(tmp_path):
    # This machine has neither (it is not Windows): exactly the plain-Python .pyz case.
    with pytest.raises(SetupError, match="coo-printcontrol.exe"):
        WindowsBackend().check()
    config = tmp_path / "c.json"
    config.write_text('{"server": "http://127.0.0.1:9", "token": "t"}', encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "coo.printcontrol", "--config", str(config), "run",
                             "--backend", "windows"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "SumatraPDF" in result.stderr and "Traceback" not in result.stderr
