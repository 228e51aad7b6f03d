"""The Windows backend: prints through the Windows spooler, duplex (long edge) and in colour.

Two ways, chosen by what the PC has:
1. **GDI** (the packaged `coo-printcontrol.exe` carries pypdfium2, Pillow and pywin32): each PDF
   page is rendered with pypdfium2 at the printer's own resolution and drawn at real size on the
   printer's device context, in one spooler document whose DEVMODE asks for duplex and colour;
2. **SumatraPDF**, when installed (the `.pyz` on a plain Python):
   ``SumatraPDF.exe -print-to <printer> -print-settings duplexlong,color -silent -exit-when-done``.

Everything but the calls into Windows is platform-independent and tested on Linux: rendering
(`render_pages`), page fitting (`place_page`: real size, never scaled — a shrunk seal is a wrong
seal), the duplex/colour request (`request_duplex_colour`) and the SumatraPDF command line. The
spooler itself is one small seam: an object with `print_pages(printer, title, pages)`.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

from .backends import Backend, PrintError, SetupError

# wingdi.h
DM_COLOR = 0x00000800
DM_DUPLEX = 0x00001000
DMCOLOR_COLOR = 2
DMDUP_VERTICAL = 2          # long-edge binding of a portrait page
DC_DUPLEX = 7
DC_COLORDEVICE = 32
# GetDeviceCaps indexes
HORZRES, VERTRES = 8, 10
LOGPIXELSX, LOGPIXELSY = 88, 90
PHYSICALWIDTH, PHYSICALHEIGHT = 110, 111
PHYSICALOFFSETX, PHYSICALOFFSETY = 112, 113

MISSING = ("Windows 打印需要 pywin32 和 pypdfium2（下载安装包中的 coo-printcontrol.exe 已自带），"
           "或已安装的 SumatraPDF。请改用 coo-printcontrol.exe，或安装 SumatraPDF 后重新启动打印控件；"
           "也可用目录打印：--backend directory --directory 文件夹。")


@dataclass(frozen=True)
class Device:
    """What the printer's device context says about the paper (GetDeviceCaps), in device pixels."""
    dpi_x: int
    dpi_y: int
    physical_width: int
    physical_height: int
    offset_x: int           # unprintable margin left of the printable area
    offset_y: int
    printable_width: int
    printable_height: int


def request_duplex_colour(devmode):
    """Ask for duplex on the long edge and colour in a DEVMODE (pywin32's PyDEVMODE, or any
    object with its `Fields`, `Duplex` and `Color` members). Returns it."""
    devmode.Duplex = DMDUP_VERTICAL
    devmode.Color = DMCOLOR_COLOR
    devmode.Fields = devmode.Fields | DM_DUPLEX | DM_COLOR
    return devmode


def place_page(width_pt: float, height_pt: float, device: Device) -> Tuple[int, int, int, int]:
    """Where a PDF page of `width_pt` x `height_pt` points goes on the printer, at real size:
    centred on the physical sheet, in the printable area's coordinates (left, top, right,
    bottom; parts in the unprintable margin fall outside and the printer leaves them blank).
    A page larger than the sheet is refused rather than shrunk."""
    width = round(width_pt / 72 * device.dpi_x)
    height = round(height_pt / 72 * device.dpi_y)
    # 1 mm of tolerance: A4 in points rounds differently from A4 in a driver's tenths of mm.
    slack_x, slack_y = round(device.dpi_x / 25.4), round(device.dpi_y / 25.4)
    if width > device.physical_width + slack_x or height > device.physical_height + slack_y:
        raise PrintError(f"纸张（{_mm(device.physical_width, device.dpi_x)} × "
                         f"{_mm(device.physical_height, device.dpi_y)} mm）小于证书页面"
                         f"（{_mm(width, device.dpi_x)} × {_mm(height, device.dpi_y)} mm）：请放入 A4 纸")
    left = (device.physical_width - width) // 2 - device.offset_x
    top = (device.physical_height - height) // 2 - device.offset_y
    return left, top, left + width, top + height


def _mm(pixels, dpi):
    return round(pixels / dpi * 25.4)


def render_pages(path: Path, dpi_x: int, dpi_y: int) -> Iterator[Tuple[float, float, object]]:
    """Each page of the PDF as (width_pt, height_pt, PIL image at the printer's resolution)."""
    import pypdfium2
    document = pypdfium2.PdfDocument(str(path))
    try:
        for index in range(len(document)):
            page = document[index]
            width, height = page.get_size()
            scale = max(dpi_x, dpi_y) / 72
            image = page.render(scale=scale).to_pil()
            if dpi_x != dpi_y:
                image = image.resize((round(width / 72 * dpi_x), round(height / 72 * dpi_y)))
            page.close()
            yield width, height, image
    finally:
        document.close()


def spool_pdf(path: Path, title: str, surface) -> int:
    """Print every page of the PDF on `surface`, the one seam to the spooler: an object with
    `device` (a Device), `start(title)`, `page(image, box)`, `end()` and `abort()`.
    Returns the number of pages."""
    device = surface.device
    surface.start(title)
    pages = 0
    try:
        for width, height, image in render_pages(path, device.dpi_x, device.dpi_y):
            surface.page(image, place_page(width, height, device))
            pages += 1
        surface.end()
    except BaseException:
        surface.abort()
        raise
    return pages


class GdiSurface:
    """A printer's device context (pywin32), opened with a DEVMODE asking for duplex and colour."""

    def __init__(self, printer: str):
        import win32con
        import win32gui
        import win32print
        import win32ui
        handle = win32print.OpenPrinter(printer)
        try:
            info = win32print.GetPrinter(handle, 2)
            if not win32print.DeviceCapabilities(printer, info["pPortName"], DC_DUPLEX):
                raise PrintError(f"{printer} 不支持自动双面打印：证书正本须双面打印")
            devmode = info["pDevMode"]
            request_duplex_colour(devmode)
            win32print.DocumentProperties(0, handle, printer, devmode, devmode,
                                          win32con.DM_IN_BUFFER | win32con.DM_OUT_BUFFER)
        finally:
            win32print.ClosePrinter(handle)
        self.dc = win32ui.CreateDCFromHandle(win32gui.CreateDC("WINSPOOL", printer, devmode))
        caps = self.dc.GetDeviceCaps
        self.device = Device(caps(LOGPIXELSX), caps(LOGPIXELSY), caps(PHYSICALWIDTH), caps(PHYSICALHEIGHT),
                             caps(PHYSICALOFFSETX), caps(PHYSICALOFFSETY), caps(HORZRES), caps(VERTRES))

    def start(self, title):
        self.dc.StartDoc(title)

    def page(self, image, box):
        from PIL import ImageWin
        self.dc.StartPage()
        ImageWin.Dib(image.convert("RGB")).draw(self.dc.GetHandleOutput(), box)
        self.dc.EndPage()

    def end(self):
        self.dc.EndDoc()
        self.dc.DeleteDC()

    def abort(self):
        try:
            self.dc.AbortDoc()
        finally:
            self.dc.DeleteDC()


class GdiSpooler:
    """The Windows spooler through pywin32 (the packaged .exe carries it)."""

    def __init__(self):
        import win32print  # noqa: F401  (an ImportError means: not this spooler)
        import win32ui  # noqa: F401
        from PIL import ImageWin  # noqa: F401
        import pypdfium2  # noqa: F401

    @staticmethod
    def printers() -> List[str]:
        import win32print
        flags = win32print.PRINTER_ENUM_LOCAL | win32print.PRINTER_ENUM_CONNECTIONS
        return [row[2] for row in win32print.EnumPrinters(flags)]

    @staticmethod
    def default_printer() -> str:
        import win32print
        return win32print.GetDefaultPrinter()

    def print_pdf(self, printer: str, title: str, path: Path) -> str:
        import pywintypes
        try:
            pages = spool_pdf(path, title, GdiSurface(printer))
        except pywintypes.error as exc:
            raise PrintError(f"{printer}: {exc.strerror}") from exc
        return f"{printer}: 已送入 Windows 打印队列（{pages} 页，双面、彩色）"


def sumatra_path() -> Optional[str]:
    """SumatraPDF.exe on PATH or where its installer puts it."""
    found = shutil.which("SumatraPDF") or shutil.which("SumatraPDF.exe")
    if found:
        return found
    for base in (os.environ.get("LOCALAPPDATA"), os.environ.get("ProgramFiles"),
                 os.environ.get("ProgramFiles(x86)")):
        if base and (Path(base) / "SumatraPDF" / "SumatraPDF.exe").is_file():
            return str(Path(base) / "SumatraPDF" / "SumatraPDF.exe")
    return None


def sumatra_command(exe: str, printer: str, path: Path) -> List[str]:
    """Real size (noscale), duplex on the long edge, colour, no window."""
    return [exe, "-print-to", printer, "-print-settings", "noscale,duplexlong,color",
            "-silent", "-exit-when-done", str(path)]


class SumatraSpooler:
    def __init__(self, exe: str):
        self.exe = exe

    @staticmethod
    def printers() -> List[str]:
        result = subprocess.run(["powershell", "-NoProfile", "-Command",
                                 "Get-Printer | Select-Object -ExpandProperty Name"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                                timeout=60)
        return [line.strip() for line in result.stdout.splitlines() if line.strip()]

    def default_printer(self) -> str:
        result = subprocess.run(["powershell", "-NoProfile", "-Command",
                                 "(Get-CimInstance Win32_Printer | Where-Object Default).Name"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                                timeout=60)
        return result.stdout.strip()

    def print_pdf(self, printer: str, title: str, path: Path) -> str:
        try:
            result = subprocess.run(sumatra_command(self.exe, printer, path), stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, universal_newlines=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PrintError(f"SumatraPDF: {exc}") from exc
        if result.returncode != 0:
            raise PrintError((result.stderr or result.stdout).strip() or f"SumatraPDF 退出码 {result.returncode}")
        return f"{printer}: 已送入 Windows 打印队列（SumatraPDF，双面、彩色）"


def choose_spooler():
    try:
        return GdiSpooler()
    except ImportError:
        pass
    exe = sumatra_path()
    if exe:
        return SumatraSpooler(exe)
    return None


class WindowsBackend(Backend):
    name = "windows"

    def __init__(self, printer=None, spooler=None):
        self._printer = printer
        self.spooler = spooler if spooler is not None else choose_spooler()

    def check(self):
        if self.spooler is None:
            raise SetupError(MISSING)

    @property
    def printer(self):
        if self._printer:
            return self._printer
        try:
            return self.spooler.default_printer() if self.spooler else ""
        except Exception:       # the spooler service is down: reported when printing
            return ""

    def printers(self):
        self.check()
        try:
            return self.spooler.printers()
        except Exception as exc:
            raise PrintError(f"无法列出打印机：{exc}") from exc

    def print_pdf(self, path, title):
        try:
            self.check()
        except SetupError as exc:
            raise PrintError(str(exc)) from None
        printer = self.printer
        if not printer:
            raise PrintError("没有可用的打印机（Windows 未设置默认打印机）")
        return self.spooler.print_pdf(printer, title, Path(path))
