"""Pillow helpers for the images the system draws itself: the demo's seals and signatures
(`coo.services.demo_layouts`, `coo.services.sample_scans`) and the simulator's visa seals and
officer signatures (`coo.customs.visa`), as transparent PNGs at a known size in mm."""
import io
from pathlib import Path

from PIL import ImageFont

DPI = 600
FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


def px(mm: float, dpi: int = DPI) -> int:
    return round(mm / 25.4 * dpi)


def font(size_px: int):
    """A CJK font at this pixel size; Pillow's own when none is installed (the shapes still make
    a seal)."""
    for candidate in FONT_PATHS:
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, size_px)
    return ImageFont.load_default(size_px)


def png(image, dpi: int = DPI) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", dpi=(dpi, dpi), optimize=True)
    return out.getvalue()
