"""The issuing authority's certification customs sends with each approval: the office's
electronic visa seal (签证印章) and the authorised officer's name and signature. The simulator
(and the demo) draw one per office with Pillow, as transparent 600-dpi PNGs at a known size,
the way `coo.services.sample_scans` draws the demo seals; a real gateway sends customs' own."""
import base64
import functools
import math
import random

from PIL import Image, ImageDraw

from coo import drawing
from coo.customs.offices import Office

SEAL_MM = 38.0                  # the customs visa seal's diameter
SIGNATURE_MM = (30.0, 11.0)
CUSTOMS_RED = (200, 16, 46, 255)
INK = (25, 25, 25, 255)


@functools.lru_cache(maxsize=16)
def visa_seal_png(office: Office) -> bytes:
    """A round visa seal: double ring, 中华人民共和国<office> on the upper arc, a star, 签证专用章,
    the office's English name and code along the bottom."""
    size = drawing.px(SEAL_MM)
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    ring = max(4, size // 30)
    draw.ellipse((ring, ring, size - ring, size - ring), outline=CUSTOMS_RED, width=ring)
    inner = ring * 3
    draw.ellipse((inner, inner, size - inner, size - inner), outline=CUSTOMS_RED, width=max(2, ring // 3))
    cx = cy = size / 2
    points = [(cx + (size * (0.13 if k % 2 == 0 else 0.05)) * math.cos(-math.pi / 2 + k * math.pi / 5),
               cy - size * 0.06 + (size * (0.13 if k % 2 == 0 else 0.05)) * math.sin(-math.pi / 2 + k * math.pi / 5))
              for k in range(10)]
    draw.polygon(points, fill=CUSTOMS_RED)
    name = "中华人民共和国" + office.name_zh
    char_px = int(size * 0.095)
    face = drawing.font(char_px)
    radius = size / 2 - inner - char_px * 0.8
    span = math.radians(240)
    for i, ch in enumerate(name):
        angle = -math.pi / 2 - span / 2 + span * (i + 0.5) / len(name)
        glyph = Image.new("RGBA", (char_px * 2, char_px * 2), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((char_px, char_px), ch, font=face, fill=CUSTOMS_RED, anchor="mm")
        glyph = glyph.rotate(-math.degrees(angle) - 90, resample=Image.BICUBIC)
        image.alpha_composite(glyph, (int(cx + radius * math.cos(angle) - char_px),
                                      int(cy + radius * math.sin(angle) - char_px)))
    draw.text((cx, cy + size * 0.17), "签证专用章", font=drawing.font(int(size * 0.075)), fill=CUSTOMS_RED, anchor="mm")
    draw.text((cx, cy + size * 0.30), f"{office.name_en} {office.code}", font=drawing.font(int(size * 0.045)),
              fill=CUSTOMS_RED, anchor="mm")
    return drawing.png(image)


@functools.lru_cache(maxsize=16)
def officer_signature_png(office: Office) -> bytes:
    """The authorised officer's handwritten-looking signature, transparent."""
    w, h = drawing.px(SIGNATURE_MM[0]), drawing.px(SIGNATURE_MM[1])
    image = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    text = office.officer.title()
    face = drawing.font(int(h * 0.5))
    scale = min(1.0, w * 0.86 / max(1, face.getlength(text)))
    face = drawing.font(int(h * 0.5 * scale))
    draw.text((w * 0.06, h * 0.45), text, font=face, fill=INK, anchor="lm")
    rng = random.Random(office.code)
    line = [(w * (0.04 + 0.9 * t / 30), h * (0.8 - 0.1 * math.sin(t / 30 * math.pi * 2)) + rng.uniform(-2, 2))
            for t in range(31)]
    draw.line(line, fill=INK, width=max(3, h // 50), joint="curve")
    image = image.transform((w, h), Image.AFFINE, (1, 0.3, -h * 0.15, 0, 1, 0), resample=Image.BICUBIC)
    return drawing.png(image)


def certification_for(office: Office) -> dict:
    """The `certification` part of an approval record (docs/certificate.schema.json)."""
    return {
        "officer_name": office.officer,
        "visa_seal": {"png_base64": base64.b64encode(visa_seal_png(office)).decode(),
                      "width_mm": SEAL_MM, "height_mm": SEAL_MM},
        "officer_signature": {"png_base64": base64.b64encode(officer_signature_png(office)).decode(),
                              "width_mm": SIGNATURE_MM[0], "height_mm": SIGNATURE_MM[1]},
    }
