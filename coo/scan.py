"""Scan processing for 印章制作 / 签名制作 (SPEC 4.2), with Pillow only.

`process(data, kind)` takes the uploaded bytes of a scanned seal or signature and returns a
`ScanResult`: the ink on a transparent background, cropped, as a PNG that carries the scan's DPI
(the layouts print it at real size), its measured size in millimetres and the seal's shape.
Anything that is not a usable scan raises `ScanError` with the message the user reads.

How it works, and why it is fast (no per-pixel Python on the full image):
1. the file is sniffed and opened lazily; size, pixel count (decompression bombs), format, EXIF
   camera tags (phone photos) and DPI are checked before a pixel is decoded;
2. the paper colour is the median colour of a reduced copy (the ink covers far less than half);
3. ink = the largest per-channel difference from the paper colour (`ImageChops`), which turns
   into alpha through a lookup table (`point`);
4. on the reduced copy, a median filter drops dust, and row/column profiles find the ink's extent
   (a speck far from the seal does not stretch the crop); the full-size crop is then exact;
5. the shape comes from the outline: a rectangle's ink runs along its bounding box, a round or
   oval seal's ink runs along the ellipse inscribed in it; width/height tells round from oval.
"""
import colorsys
import contextlib
import io
import warnings
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from PIL import Image, ImageChops, ImageFile, ImageFilter, ImageStat

from coo import enums

SEAL = "seal"
SIGNATURE = "signature"

ALLOWED_FORMATS = ("PNG", "JPEG", "BMP", "TIFF")
SUFFIXES = {"PNG": ".png", "JPEG": ".jpg", "BMP": ".bmp", "TIFF": ".tif"}
MIN_DPI = 300
MAX_DPI = 4800
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
# A seal of 55 × 45 mm with a wide margin at 1200 dpi is under 15 Mpx; 40 Mpx is a generous cap.
DEFAULT_MAX_PIXELS = 40_000_000
# Measured sizes may exceed a limit by this much (the edge of a stamp is not a ruled line).
TOLERANCE_MM = 0.5

# (long side, short side) limits of the manual (采集注意事项), in mm.
LIMITS = {
    enums.SealShape.ROUND: (45, 45),
    enums.SealShape.RECTANGLE: (55, 40),
    enums.SealShape.ELLIPSE: (55, 45),
}
SIGNATURE_LIMIT = (35, 30)          # width × height
SEAL_MIN_MM = 15                    # a company seal is far larger; smaller means a bad scan
SIGNATURE_MIN_MM = (8, 3)           # width, height

SCAN_RULES = "不要使用手机拍照、扫描 A4 纸，不要使用制图软件处理扫描仪扫描后的图片"
PHONE_PHOTO = ("该图片是手机或相机拍摄的照片（{camera}）。采集注意事项：" + SCAN_RULES
               + "。请盖章（签名）后使用扫描仪扫描。")
NO_DPI = ("图片中没有分辨率（DPI）信息，无法测量实际尺寸：请使用扫描仪扫描，分辨率不低于 300 dpi，"
          "并直接上传扫描仪保存的图片。")
LOW_DPI = "扫描分辨率过低（{dpi} dpi）：请使用扫描仪扫描，分辨率不低于 300 dpi。"
ODD_DPI = "图片的分辨率信息异常（{dpi} dpi）：请使用扫描仪重新扫描，分辨率 300–1200 dpi。"
TOO_BIG = "文件过大（{size:.1f} MB）：扫描图片不能超过 {limit:.0f} MB，请以 300–600 dpi 只扫描印章（签名）所在区域。"
TOO_MANY_PIXELS = "图片尺寸过大（{w} × {h} 像素）：请以 300–600 dpi 只扫描印章（签名）所在区域后上传。"
BOMB = ("图片的像素数异常巨大（可能是恶意构造的“解压炸弹”图片），已拒绝：请以 300–600 dpi 只扫描印章（签名）"
        "所在区域后上传。")
EMPTY_FILE = "请选择扫描图片文件。"
PDF_FILE = "所选文件是 PDF 文档，不是图片：请上传扫描仪保存的 PNG、JPEG、BMP 或 TIFF 图片。"
NOT_IMAGE = "所选文件不是图片或格式不受支持：只支持 PNG、JPEG、BMP、TIFF 格式的扫描图片。"
BROKEN = "图片文件不完整或已损坏（可能上传中断或文件被截断），请重新扫描后上传。"
TINY = "图片过小，不是有效的扫描图片：请使用扫描仪扫描，分辨率不低于 300 dpi。"
DARK_PAPER = "扫描图片背景过暗：请在白纸上盖章（签名），并使用扫描仪扫描。"
EMPTY_SCAN = {
    SEAL: "扫描图片中没有找到印章（图片几乎是空白的）：请在白纸上清晰盖章后重新扫描。",
    SIGNATURE: "扫描图片中没有找到签名（图片几乎是空白的）：请在白纸上用签字笔签名后重新扫描。",
}
SEAL_COLOUR = ("印章颜色不符（{found}）：印章应为红色（或蓝色）印油盖印，请使用扫描仪的彩色模式扫描，"
               "不要使用制图软件处理。")
SIGNATURE_COLOUR = "签名颜色不符（{found}）：请使用黑色或蓝色签字笔签名，并使用扫描仪扫描。"
NO_SHAPE = ("无法识别印章形状：印章应为圆形、椭圆形或长方形，且边框完整清晰。请重新盖章并扫描，"
            "扫描图片中只保留一枚印章。")
TOO_LARGE_SEAL = {
    enums.SealShape.ROUND: "印章尺寸超出规格：圆形印章直径不超过 45 毫米，扫描测得 {w} × {h} 毫米。",
    enums.SealShape.RECTANGLE: "印章尺寸超出规格：长方形印章长不超过 55 毫米、宽不超过 40 毫米，扫描测得 {w} × {h} 毫米。",
    enums.SealShape.ELLIPSE: "印章尺寸超出规格：椭圆形印章长轴不超过 55 毫米、短轴不超过 45 毫米，扫描测得 {w} × {h} 毫米。",
}
SCALE_HINT = "请确认按原始尺寸（100%）扫描，且未用制图软件缩放。"
TOO_LARGE_SIGNATURE = "签名尺寸超出规格：签名宽不超过 35 毫米、高不超过 30 毫米，扫描测得 {w} × {h} 毫米。"
TOO_SMALL = "{what}尺寸过小（扫描测得 {w} × {h} 毫米）：" + SCALE_HINT

# EXIF tags: Make, Model, and the exposure tags only a camera writes (in the Exif sub-IFD).
_MAKE, _MODEL, _EXIF_IFD = 0x010F, 0x0110, 0x8769
_CAMERA_TAGS = (0x829A, 0x829D, 0x8827, 0x920A)   # ExposureTime, FNumber, ISO, FocalLength
_SCANNER_WORDS = ("scan", "lide", "perfection", "mfp", "imageformula")
_X_RES, _Y_RES, _RES_UNIT = 0x011A, 0x011B, 0x0128

# Ink thresholds on the largest per-channel distance from the paper colour (0–255).
_INK_LO, _INK_HI = 36, 96
_ALPHA_LUT = [0 if d <= _INK_LO else 255 if d >= _INK_HI else round((d - _INK_LO) * 255 / (_INK_HI - _INK_LO))
              for d in range(256)]
_ALPHA_RAMP = bytes(range(256))
_SMALL_INK = 28          # on the reduced copy thin strokes are diluted by the paper around them
_WORK_MM_PER_PX = 0.2    # resolution of the reduced copy used for shape and extent


class ScanError(Exception):
    """A scan the system cannot use; `message` is what the user reads."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ScanResult:
    png: bytes                      # the ink on transparency, cropped, with its DPI set (palette
                                    # PNG: one colour at 256 alpha levels; convert("RGBA") to edit)
    dpi: int
    width_mm: Decimal
    height_mm: Decimal
    width_px: int
    height_px: int
    shape: enums.SealShape | None   # None for a signature
    ink: str                        # 红色 / 蓝色 / 黑色
    source_format: str              # PNG / JPEG / BMP / TIFF, of the upload

    @property
    def suffix(self) -> str:
        return SUFFIXES[self.source_format]


def mm(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def sniff(data: bytes) -> str | None:
    """The format by its magic bytes (the file name and the browser's type are not trusted)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"BM"):
        return "BMP"
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "TIFF"
    return None


def open_scan(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS):
    """Open (header only) and check everything that needs no decoding. Returns (image, (dpi_x, dpi_y))."""
    if not data:
        raise ScanError(EMPTY_FILE)
    if len(data) > max_bytes:
        raise ScanError(TOO_BIG.format(size=len(data) / 1048576, limit=max_bytes / 1048576))
    fmt = sniff(data)
    if fmt is None:
        raise ScanError(PDF_FILE if data.lstrip()[:5] == b"%PDF-" else NOT_IMAGE)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[fmt])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ScanError(BOMB) from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError):
        raise ScanError(BROKEN) from None
    width, height = image.size
    if width * height > max_pixels:
        raise ScanError(TOO_MANY_PIXELS.format(w=width, h=height))
    if width < 16 or height < 16:
        raise ScanError(TINY)
    _refuse_camera(image)
    return image, _dpi(image)


def _exif(image):
    try:
        return image.getexif()
    except (OSError, SyntaxError, ValueError, TypeError, KeyError):
        return {}


def _refuse_camera(image):
    exif = _exif(image)
    if not exif:
        return
    make = str(exif.get(_MAKE, "") or "").strip("\x00 ")
    model = str(exif.get(_MODEL, "") or "").strip("\x00 ")
    try:
        sub = exif.get_ifd(_EXIF_IFD)
    except (OSError, SyntaxError, ValueError, TypeError, KeyError, AttributeError):
        sub = {}
    exposure = any(tag in sub for tag in _CAMERA_TAGS)
    named = (make or model) and not any(w in f"{make} {model}".lower() for w in _SCANNER_WORDS)
    if exposure or named:
        camera = " ".join(p for p in (make, model) if p) or "EXIF 中有相机拍摄参数"
        raise ScanError(PHONE_PHOTO.format(camera=camera))


def _ratio(value):
    try:
        if isinstance(value, tuple):
            return float(value[0]) / float(value[1])
        return float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return 0.0


def _dpi(image):
    """The resolution the scanner wrote: PNG pHYs, JPEG JFIF or EXIF, BMP, TIFF (Pillow's `dpi`)."""
    dpi = image.info.get("dpi")
    if not dpi:
        exif = _exif(image)
        unit = exif.get(_RES_UNIT, 2) if exif else None
        if exif and _X_RES in exif and unit in (2, 3):
            factor = 2.54 if unit == 3 else 1.0
            dpi = (_ratio(exif[_X_RES]) * factor, _ratio(exif.get(_Y_RES, exif[_X_RES])) * factor)
    if not dpi:
        raise ScanError(NO_DPI)
    dpi_x, dpi_y = (_ratio(dpi[0]), _ratio(dpi[1] if len(dpi) > 1 else dpi[0]))
    if dpi_x <= 1 or dpi_y <= 1:
        raise ScanError(NO_DPI)
    low = min(dpi_x, dpi_y)
    if round(low) < MIN_DPI:
        raise ScanError(LOW_DPI.format(dpi=round(low)))
    if max(dpi_x, dpi_y) > MAX_DPI:
        raise ScanError(ODD_DPI.format(dpi=round(max(dpi_x, dpi_y))))
    return dpi_x, dpi_y


def _decode_rgb(image):
    """Decode all pixels (truncated files fail here) and flatten onto white paper."""
    try:
        image.load()
        if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
            rgba = image.convert("RGBA")
            flat = Image.new("RGB", rgba.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel("A"))
            return flat
        if image.mode in ("I;16", "I;16B", "I;16L", "I"):
            image = image.point(lambda v: v * (1 / 256)).convert("L")
        return image if image.mode == "RGB" else image.convert("RGB")
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, MemoryError):
        raise ScanError(BROKEN) from None


@contextlib.contextmanager
def _strict_loading():
    """WeasyPrint sets Pillow's global LOAD_TRUNCATED_IMAGES = True on import (weasyprint/images.py),
    which would turn a cut-off upload into a half-grey "scan". Refuse truncation while we decode
    (PNG's getexif decodes too), and leave the global as it was."""
    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = previous


def _distance(rgb, paper):
    """Largest per-channel difference from the paper colour, as an L image."""
    diff = ImageChops.difference(rgb, Image.new("RGB", rgb.size, paper))
    r, g, b = diff.split()
    return ImageChops.lighter(ImageChops.lighter(r, g), b)


def _runs(profile, gap):
    """Runs of non-empty entries of a profile, joined across gaps up to `gap`: [(start, end, mass)]."""
    runs = []
    start = last = None
    mass = 0
    for i, value in enumerate(profile):
        if not value:
            continue
        if start is None or i - last > gap:
            if start is not None:
                runs.append((start, last + 1, mass))
            start, mass = i, 0
        last = i
        mass += value
    if start is not None:
        runs.append((start, last + 1, mass))
    return runs


def _heaviest(profile, gap):
    runs = _runs(profile, gap)
    return max(runs, key=lambda r: r[2])[:2] if runs else None


def _ink_colour(rgb, strong_mask):
    """The mean colour of the strongly inked pixels, as (name, rgb)."""
    mean = ImageStat.Stat(rgb, strong_mask).mean
    r, g, b = (v / 255 for v in mean[:3])
    h, s, v = colorsys.rgb_to_hsv(r, g, b)
    hue = h * 360
    if v <= 0.35:
        return "黑色"
    if s >= 0.3 and v >= 0.25 and (hue <= 25 or hue >= 330):
        return "红色"
    if s >= 0.25 and 190 <= hue <= 265:
        return "蓝色"
    if s < 0.2:
        return "灰色"
    return {True: "橙黄色", False: "绿色"}[hue < 90] if hue < 190 else "紫色"


def _coverage(mask, points):
    hits = 0
    width, height = mask.size
    for ring in points:
        if any(0 <= x < width and 0 <= y < height and mask.getpixel((x, y)) for x, y in ring):
            hits += 1
    return hits / len(points) if points else 0.0


def _shape(mask):
    """Round, ellipse or rectangle from the outline of the (reduced, cropped) ink mask, or None."""
    import math
    width, height = mask.size
    grown = mask.filter(ImageFilter.MaxFilter(3))
    n = 96
    cx, cy = (width - 1) / 2, (height - 1) / 2
    ellipse = []
    for k in range(n):
        a = 2 * math.pi * k / n
        ellipse.append([(round(cx + f * cx * math.cos(a)), round(cy + f * cy * math.sin(a)))
                        for f in (1.0, 0.97, 0.94, 0.91)])
    edges = []
    for k in range(n):
        t = k / n
        # walk the bounding box's perimeter; sample a little band inward from it
        if t < 0.25:
            base, inward = (t * 4 * (width - 1), 0), (0, 1)
        elif t < 0.5:
            base, inward = (width - 1, (t - 0.25) * 4 * (height - 1)), (-1, 0)
        elif t < 0.75:
            base, inward = ((0.75 - t) * 4 * (width - 1), height - 1), (0, -1)
        else:
            base, inward = (0, (1 - t) * 4 * (height - 1)), (1, 0)
        depth = max(width, height)
        edges.append([(round(base[0] + inward[0] * f * depth), round(base[1] + inward[1] * f * depth))
                      for f in (0.0, 0.02, 0.04, 0.06)])
    corner = max(2, round(min(width, height) * 0.1))
    corners = 0
    for x0, y0 in ((0, 0), (width - corner, 0), (0, height - corner), (width - corner, height - corner)):
        if mask.crop((x0, y0, x0 + corner, y0 + corner)).getbbox():
            corners += 1
    on_box = _coverage(grown, edges)
    on_ellipse = _coverage(grown, ellipse)
    if corners >= 3 and on_box >= 0.8:
        return enums.SealShape.RECTANGLE
    if corners <= 1 and on_ellipse >= 0.8:
        ratio = width / height
        return enums.SealShape.ROUND if 0.93 <= ratio <= 1.07 else enums.SealShape.ELLIPSE
    return None


def process(data: bytes, kind: str = SEAL, *, max_bytes: int = DEFAULT_MAX_BYTES,
            max_pixels: int = DEFAULT_MAX_PIXELS) -> ScanResult:
    """Check and process an uploaded scan. Raises ScanError with the user's message."""
    with _strict_loading():
        image, (dpi_x, dpi_y) = open_scan(data, max_bytes, max_pixels)
        source_format = image.format
        rgb = _decode_rgb(image)
    what = "印章" if kind == SEAL else "签名"

    # The reduced copy: about 0.2 mm per pixel.
    factor = max(1, int(min(dpi_x, dpi_y) * _WORK_MM_PER_PX / 25.4))
    small = rgb.reduce(factor) if factor > 1 else rgb
    paper = tuple(int(v) for v in ImageStat.Stat(small).median[:3])
    if sum(paper) / 3 < 140:
        raise ScanError(DARK_PAPER)
    small_ink = _distance(small, paper).point(lambda d: 255 if d > _SMALL_INK else 0)
    clean = small_ink.filter(ImageFilter.MedianFilter(3))
    ink_px = clean.histogram()[255]
    mm2_per_px = (factor * 25.4) ** 2 / (dpi_x * dpi_y)
    min_area = 20 if kind == SEAL else 4     # mm² of ink: a seal's ring alone has over 100
    if ink_px * mm2_per_px < min_area:
        raise ScanError(EMPTY_SCAN[kind])

    # The ink's extent on the reduced copy: the heaviest run of rows and of columns.
    gap = round((3 if kind == SEAL else 8) / (factor * 25.4 / min(dpi_x, dpi_y)))
    rows = list(clean.resize((1, clean.height), Image.BOX).get_flattened_data())
    cols = list(clean.resize((clean.width, 1), Image.BOX).get_flattened_data())
    y_run, x_run = _heaviest(rows, gap), _heaviest(cols, gap)
    if y_run is None or x_run is None:
        raise ScanError(EMPTY_SCAN[kind])
    pad = 2
    box = (max(0, (x_run[0] - pad) * factor), max(0, (y_run[0] - pad) * factor),
           min(rgb.width, (x_run[1] + pad) * factor), min(rgb.height, (y_run[1] + pad) * factor))

    # Full resolution inside that region: alpha, exact extent, crop.
    region = rgb.crop(box)
    alpha = _distance(region, paper).point(_ALPHA_LUT)
    solid = alpha.point(lambda a: 255 if a >= 128 else 0)
    bbox = solid.getbbox()
    if bbox is None:
        raise ScanError(EMPTY_SCAN[kind])
    region, alpha, solid = region.crop(bbox), alpha.crop(bbox), solid.crop(bbox)
    width_px, height_px = region.size
    width_mm, height_mm = width_px * 25.4 / dpi_x, height_px * 25.4 / dpi_y

    ink = _ink_colour(region, solid)
    if kind == SEAL and ink not in ("红色", "蓝色"):
        raise ScanError(SEAL_COLOUR.format(found=ink))
    if kind == SIGNATURE and ink not in ("黑色", "蓝色"):
        raise ScanError(SIGNATURE_COLOUR.format(found=ink))

    w, h = mm(width_mm), mm(height_mm)
    shape = None
    if kind == SEAL:
        sx0, sy0 = (box[0] + bbox[0]) // factor, (box[1] + bbox[1]) // factor
        sx1, sy1 = -(-(box[0] + bbox[2]) // factor), -(-(box[1] + bbox[3]) // factor)
        shape = _shape(clean.crop((sx0, sy0, sx1, sy1)))
        if shape is None:
            raise ScanError(NO_SHAPE)
        long_side, short_side = max(width_mm, height_mm), min(width_mm, height_mm)
        limit_long, limit_short = LIMITS[shape]
        if long_side > limit_long + TOLERANCE_MM or short_side > limit_short + TOLERANCE_MM:
            raise ScanError(TOO_LARGE_SEAL[shape].format(w=w, h=h) + SCALE_HINT)
        if short_side < SEAL_MIN_MM:
            raise ScanError(TOO_SMALL.format(what=what, w=w, h=h))
    else:
        if width_mm > SIGNATURE_LIMIT[0] + TOLERANCE_MM or height_mm > SIGNATURE_LIMIT[1] + TOLERANCE_MM:
            raise ScanError(TOO_LARGE_SIGNATURE.format(w=w, h=h) + SCALE_HINT)
        if width_mm < SIGNATURE_MIN_MM[0] or height_mm < SIGNATURE_MIN_MM[1]:
            raise ScanError(TOO_SMALL.format(what=what, w=w, h=h))

    # One ink, one colour: over white paper, the flat ink colour at the measured alpha looks like
    # the scan itself (paper + alpha × (ink − paper)). Stored as a palette PNG whose 256 entries
    # are that colour at alpha 0–255 (tRNS): one byte per pixel, small and quick to write.
    colour = [int(v) for v in ImageStat.Stat(region, solid).mean[:3]]
    out = alpha.copy()
    out.putpalette(colour * 256)
    buf = io.BytesIO()
    dpi = round((dpi_x + dpi_y) / 2)
    out.save(buf, "PNG", dpi=(dpi_x, dpi_y), transparency=_ALPHA_RAMP, compress_level=3)
    return ScanResult(png=buf.getvalue(), dpi=dpi, width_mm=w, height_mm=h, width_px=width_px,
                      height_px=height_px, shape=shape, ink=ink, source_format=source_format)
