"""Scans for tests, made with Pillow: good ones (from `coo.services.sample_scans`, cached) and
every kind of bad upload a user might send. Shared by the scan, seal and browser tests."""
import functools
import io
import struct
import zlib

from PIL import Image

from coo.services import sample_scans


@functools.cache
def round_seal(diameter_mm=42.0, dpi=600, colour=sample_scans.SEAL_RED, fmt="PNG") -> bytes:
    return sample_scans.round_seal(diameter_mm=diameter_mm, dpi=dpi, colour=colour, fmt=fmt)


@functools.cache
def ellipse_seal(width_mm=45.0, height_mm=30.0, dpi=600, fmt="PNG") -> bytes:
    return sample_scans.ellipse_seal(width_mm=width_mm, height_mm=height_mm, dpi=dpi, fmt=fmt)


@functools.cache
def rectangle_seal(width_mm=50.0, height_mm=30.0, dpi=600, fmt="PNG") -> bytes:
    return sample_scans.rectangle_seal(width_mm=width_mm, height_mm=height_mm, dpi=dpi, fmt=fmt)


@functools.cache
def signature(name="王建国", width_mm=30.0, height_mm=12.0, dpi=600, colour=sample_scans.PEN_DARK,
              fmt="PNG") -> bytes:
    return sample_scans.signature(name=name, width_mm=width_mm, height_mm=height_mm, dpi=dpi,
                                  colour=colour, fmt=fmt)


def reencode(data: bytes, fmt="PNG", **save) -> bytes:
    """The same pixels saved again (Pillow drops the DPI unless it is given)."""
    image = Image.open(io.BytesIO(data))
    image.load()
    buf = io.BytesIO()
    image.save(buf, fmt, **save)
    return buf.getvalue()


@functools.cache
def without_dpi() -> bytes:
    return reencode(round_seal())


@functools.cache
def phone_photo() -> bytes:
    """A JPEG as a phone writes it: EXIF camera make and model, 72 dpi."""
    exif = Image.Exif()
    exif[0x010F] = "Apple"
    exif[0x0110] = "iPhone 13"
    return reencode(round_seal(), "JPEG", exif=exif, dpi=(72, 72), quality=85)


@functools.cache
def truncated_png() -> bytes:
    data = round_seal()
    return data[: len(data) // 2]


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


@functools.cache
def decompression_bomb(side=10000) -> bytes:
    """A valid 1-bit PNG of side × side white pixels: a few KB that decode to 100 million pixels."""
    row = b"\x00" + b"\xff" * ((side + 7) // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    ppm = round(600 / 0.0254)
    return (b"\x89PNG\r\n\x1a\n"
            + _chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0))
            + _chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1))
            + _chunk(b"IDAT", idat) + _chunk(b"IEND", b""))


PDF_RENAMED = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
               b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")


@functools.cache
def white_scan(dpi=600) -> bytes:
    """An empty sheet of paper, scanned."""
    image = Image.new("RGB", (sample_scans.px(50, dpi), sample_scans.px(50, dpi)), sample_scans.PAPER)
    buf = io.BytesIO()
    image.save(buf, "PNG", dpi=(dpi, dpi))
    return buf.getvalue()


def too_large_file(limit=5 * 1024 * 1024) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00" * limit
