"""Realistic scans drawn with Pillow: a stamped seal or a handwritten signature on off-white
paper, as a flatbed scanner at a given DPI would save it. The demo data, the bench and the tests
make their seals here, and feed them through the real scan processing (`coo.scan`)."""
import io
import math
import random

from PIL import Image, ImageDraw, ImageFilter

from coo import drawing

SEAL_RED = (204, 34, 41)
SEAL_BLUE = (36, 64, 170)
PEN_DARK = (28, 32, 52)
PAPER = (247, 245, 238)


def px(mm: float, dpi: int) -> int:
    return int(round(mm * dpi / 25.4))


font = drawing.font


def _paper(width_px, height_px, seed, colour=PAPER):
    """Off-white paper with a little scanner noise."""
    paper = Image.new("RGB", (width_px, height_px), colour)
    noise = _noise((width_px, height_px), 6).point(lambda v: v - 128 + 8 if v > 120 else 0)
    rng = random.Random(seed)
    shade = Image.new("RGB", (width_px, height_px), tuple(max(0, c - 8 - rng.randint(0, 2)) for c in colour))
    return Image.composite(shade, paper, noise)


def _noise(size, sigma):
    """Gaussian grain, made at a quarter size and enlarged: scanner grain is not per pixel."""
    small = Image.effect_noise((max(1, size[0] // 3), max(1, size[1] // 3)), sigma)
    return small.resize(size, Image.NEAREST)


def _fit(text, max_w_px, max_h_px):
    """The largest font whose rendering of `text` fits the box."""
    size = max(8, int(max_h_px))
    face = font(size)
    width = face.getlength(text)
    if width > max_w_px:
        face = font(max(8, int(size * max_w_px / width)))
    return face


def _ink_layer(size, colour):
    return Image.new("RGB", size, colour)


def _stamp(paper, mask, colour, seed):
    """Press ink through `mask` (L) onto the paper, unevenly like a real stamp."""
    rng = random.Random(seed)
    texture = _noise(mask.size, 40).point(lambda v: 255 if v > 60 + rng.randint(0, 5) else 170)
    mask = Image.composite(mask, Image.new("L", mask.size, 0), texture.point(lambda v: 255 if v > 200 else 0))
    mask = mask.filter(ImageFilter.GaussianBlur(0.8))
    paper.paste(_ink_layer(paper.size, colour), (0, 0), mask)
    return paper


def _arc_text(mask, text, centre, radius_px, height_px, start_deg, end_deg):
    """Characters standing on an arc, tops outward (the company name of a round seal)."""
    face = font(height_px)
    n = len(text)
    for i, char in enumerate(text):
        angle = start_deg + (end_deg - start_deg) * (i + 0.5) / n
        glyph = Image.new("L", (height_px * 2, height_px * 2), 0)
        ImageDraw.Draw(glyph).text((height_px, height_px), char, font=face, fill=255, anchor="mm")
        glyph = glyph.rotate(-(angle - 90), resample=Image.BICUBIC)
        rad = math.radians(angle)
        x = centre[0] + radius_px * math.cos(rad) - glyph.width / 2
        y = centre[1] - radius_px * math.sin(rad) - glyph.height / 2
        mask.paste(255, (int(x), int(y)), glyph)


def _star(draw, centre, r_outer):
    points = []
    for k in range(10):
        r = r_outer if k % 2 == 0 else r_outer * 0.38
        a = math.radians(90 + k * 36)
        points.append((centre[0] + r * math.cos(a), centre[1] - r * math.sin(a)))
    draw.polygon(points, fill=255)


def _encode(image, fmt, dpi, **extra):
    buf = io.BytesIO()
    if dpi:
        extra["dpi"] = (dpi, dpi)
    if fmt == "JPEG":
        extra.setdefault("quality", 92)
    image.save(buf, fmt, **extra)
    return buf.getvalue()


def round_seal(diameter_mm=42.0, dpi=600, text="浙江华东进出口有限公司", bottom="合同专用章",
               colour=SEAL_RED, margin_mm=8.0, fmt="PNG", seed=1, **extra) -> bytes:
    """A round company seal: a ring, the company name on the upper arc, a star, a line below."""
    size = px(diameter_mm + 2 * margin_mm, dpi)
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    c = size / 2
    r = px(diameter_mm, dpi) / 2
    ring = max(2, px(1.2, dpi))
    draw.ellipse((c - r, c - r, c + r - 1, c + r - 1), outline=255, width=ring)
    _star(draw, (c, c), px(diameter_mm * 0.16, dpi))
    if text:
        _arc_text(mask, text, (c, c), r - ring - px(3.2, dpi), px(diameter_mm * 0.12, dpi), 200, -20)
    if bottom:
        draw.text((c, c + r * 0.55), bottom, font=font(px(diameter_mm * 0.09, dpi)), fill=255, anchor="mm")
    return _encode(_stamp(_paper(size, size, seed), mask, colour, seed), fmt, dpi, **extra)


def ellipse_seal(width_mm=45.0, height_mm=30.0, dpi=600, text="JIANGSU YUANYANG TRADING CO LTD",
                 middle="江苏远洋贸易有限公司", colour=SEAL_RED, margin_mm=8.0, fmt="PNG", seed=2,
                 **extra) -> bytes:
    """An oval Chinese-English seal: a double ring, English on the arc, Chinese across."""
    w, h = px(width_mm + 2 * margin_mm, dpi), px(height_mm + 2 * margin_mm, dpi)
    mask = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(mask)
    m = px(margin_mm, dpi)
    box = (m, m, m + px(width_mm, dpi) - 1, m + px(height_mm, dpi) - 1)
    draw.ellipse(box, outline=255, width=max(2, px(1.0, dpi)))
    inner = px(1.8, dpi)
    draw.ellipse((box[0] + inner, box[1] + inner, box[2] - inner, box[3] - inner), outline=255,
                 width=max(1, px(0.3, dpi)))
    if middle:
        draw.text((w / 2, h / 2), middle, font=_fit(middle, px(width_mm * 0.72, dpi), px(height_mm * 0.16, dpi)),
                  fill=255, anchor="mm")
    if text:
        draw.text((w / 2, m + px(height_mm * 0.27, dpi)), text,
                  font=_fit(text, px(width_mm * 0.55, dpi), px(height_mm * 0.09, dpi)), fill=255, anchor="mm")
        draw.text((w / 2, m + px(height_mm * 0.76, dpi)), "★", font=font(px(height_mm * 0.12, dpi)),
                  fill=255, anchor="mm")
    return _encode(_stamp(_paper(w, h, seed), mask, colour, seed), fmt, dpi, **extra)


def rectangle_seal(width_mm=50.0, height_mm=30.0, dpi=600, lines=("浙江华东进出口有限公司", "报关专用章"),
                   colour=SEAL_RED, margin_mm=8.0, fmt="PNG", seed=3, **extra) -> bytes:
    """A rectangular seal: a frame and centred lines of text."""
    w, h = px(width_mm + 2 * margin_mm, dpi), px(height_mm + 2 * margin_mm, dpi)
    mask = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(mask)
    m = px(margin_mm, dpi)
    draw.rectangle((m, m, m + px(width_mm, dpi) - 1, m + px(height_mm, dpi) - 1), outline=255,
                   width=max(2, px(1.0, dpi)))
    for i, line in enumerate(lines):
        y = m + px(height_mm, dpi) * (i + 1) / (len(lines) + 1)
        face = _fit(line, px(width_mm * 0.8, dpi), px(height_mm / (len(lines) + 1.5), dpi))
        draw.text((w / 2, y), line, font=face, fill=255, anchor="mm")
    return _encode(_stamp(_paper(w, h, seed), mask, colour, seed), fmt, dpi, **extra)


def signature(name="王建国", width_mm=30.0, height_mm=12.0, dpi=600, colour=PEN_DARK, margin_mm=6.0,
              fmt="PNG", seed=4, **extra) -> bytes:
    """A handwritten signature: the name written with a slant and a flourish underneath,
    exactly `width_mm` × `height_mm` of ink."""
    face_px = 200
    writing = Image.new("L", (face_px * (len(name) + 2), face_px * 2), 0)
    draw = ImageDraw.Draw(writing)
    draw.text((face_px // 2, face_px // 4), name, font=font(face_px), fill=255)
    rng = random.Random(seed)
    top = face_px // 4 + face_px + 10
    span = face_px * len(name)
    points = [(face_px // 2 + span * t / 40, top + 30 * math.sin(t / 4.0 + rng.random() * 0.2) + 20 * t / 40)
              for t in range(41)]
    draw.line(points, fill=255, width=14, joint="curve")
    writing = writing.transform(writing.size, Image.AFFINE, (1, 0.25, -60, 0, 1, 0), Image.BICUBIC)
    writing = writing.crop(writing.getbbox())
    ink_w, ink_h = px(width_mm, dpi), px(height_mm, dpi)
    writing = writing.resize((ink_w, ink_h), Image.BICUBIC)
    m = px(margin_mm, dpi)
    mask = Image.new("L", (ink_w + 2 * m, ink_h + 2 * m), 0)
    mask.paste(writing, (m, m))
    paper = _paper(mask.width, mask.height, seed)
    paper.paste(_ink_layer(paper.size, colour), (0, 0), mask)
    return _encode(paper, fmt, dpi, **extra)
