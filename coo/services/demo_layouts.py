"""Demo layouts (版式) for `make run`: a drawn seal and signature per exporter, an authorisation
customs has answered 成功, and the layout jobs of the demo certificates enqueued for the worker.

The seal and signature images are drawn here (transparent PNGs at 600 dpi, as the scan processing
of 印章制作 stores them), so the demo and the layout tests have real images at a known size in mm.
Where another part of the demo already gave an exporter a successful authorisation, it is kept.
"""
import datetime
import math
import random

from PIL import Image, ImageDraw

from coo import drawing, enums, storage
from coo.clock import utcnow
from coo.models import Authorisation, Certificate, Enterprise, Operator, Seal, Signature, database

SEAL_RED = (206, 17, 38, 255)
INK = (20, 30, 90, 255)


def draw_seal(name_zh: str, diameter_mm: float = 42.0) -> bytes:
    """A round company seal (公司章): red ring, the name along the top arc, a star, transparent."""
    size = drawing.px(diameter_mm)
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    ring = max(4, size // 28)
    draw.ellipse((ring // 2, ring // 2, size - ring // 2 - 1, size - ring // 2 - 1), outline=SEAL_RED, width=ring)
    # Five-pointed star in the middle.
    cx = cy = size / 2
    outer, inner = size * 0.15, size * 0.06
    points = []
    for k in range(10):
        r = outer if k % 2 == 0 else inner
        angle = -math.pi / 2 + k * math.pi / 5
        points.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    draw.polygon(points, fill=SEAL_RED)
    # The name along the arc, from about 8 o'clock to 4 o'clock over the top.
    char_px = int(size * 0.12)
    font = drawing.font(char_px)
    radius = size / 2 - ring - char_px * 0.75
    span = math.radians(250)
    n = max(1, len(name_zh))
    for i, ch in enumerate(name_zh):
        angle = -math.pi / 2 - span / 2 + span * (i + 0.5) / n
        glyph = Image.new("RGBA", (char_px * 2, char_px * 2), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((char_px, char_px), ch, font=font, fill=SEAL_RED, anchor="mm")
        glyph = glyph.rotate(-math.degrees(angle) - 90, resample=Image.BICUBIC)
        x = cx + radius * math.cos(angle) - char_px
        y = cy + radius * math.sin(angle) - char_px
        image.alpha_composite(glyph, (int(x), int(y)))
    draw.text((cx, cy + size * 0.28), "专用章", font=drawing.font(int(size * 0.08)), fill=SEAL_RED, anchor="mm")
    return drawing.png(image)


def draw_signature(name: str, width_mm: float = 30.0, height_mm: float = 12.0, seed: int = 7) -> bytes:
    """A declarant's handwritten-looking signature in dark blue ink, transparent."""
    w, h = drawing.px(width_mm), drawing.px(height_mm)
    image = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    font = drawing.font(int(h * 0.62))
    draw.text((w * 0.08, h * 0.42), name, font=font, fill=INK, anchor="lm")
    # A flourish under the name.
    rng = random.Random(seed)
    points = []
    for k in range(40):
        t = k / 39
        points.append((w * (0.05 + 0.9 * t), h * (0.82 - 0.12 * math.sin(t * math.pi * 1.5)) + rng.uniform(-2, 2)))
    draw.line(points, fill=INK, width=max(3, h // 45), joint="curve")
    # Slant it like handwriting.
    image = image.transform((w, h), Image.AFFINE, (1, 0.25, -h * 0.12, 0, 1, 0), resample=Image.BICUBIC)
    return drawing.png(image)


def authorise(enterprise: Enterprise, seal_diameter_mm: float = 42.0,
              signature_size_mm: tuple[float, float] = (30.0, 12.0),
              receipt_at: datetime.datetime | None = None) -> Authorisation:
    """Give an exporter a seal, a signature and an authorisation customs answered 成功."""
    legal = (Operator.select().where((Operator.enterprise == enterprise) & Operator.is_legal_person).first()
             or Operator.select().where(Operator.enterprise == enterprise).first())
    declarant = (Operator.select().where((Operator.enterprise == enterprise) & Operator.is_declarant
                                         & ~Operator.is_legal_person).first() or legal)
    today = datetime.date.today()
    seal_png = draw_seal(enterprise.name_zh, seal_diameter_mm)
    seal_path, seal_sha = storage.put(seal_png, "seals", ".png")
    sig_png = draw_signature(declarant.name, *signature_size_mm)
    sig_path, sig_sha = storage.put(sig_png, "signatures", ".png")
    at = receipt_at or utcnow()
    with database.atomic():
        serial = Seal.select().where(Seal.enterprise == enterprise).count() + 1
        seal = Seal.create(enterprise=enterprise, owner=legal, name=f"{enterprise.name_zh}公章{serial}",
                           shape=enums.SealShape.ROUND, valid_from=today - datetime.timedelta(days=365),
                           valid_to=today + datetime.timedelta(days=3 * 365),
                           height_mm=seal_diameter_mm, width_mm=seal_diameter_mm, dpi=drawing.DPI,
                           image_path=seal_path, original_path=seal_path, image_sha256=seal_sha)
        signature = Signature.create(enterprise=enterprise, declarant=declarant, name=f"{declarant.name}签名{serial}",
                                     width_mm=signature_size_mm[0], height_mm=signature_size_mm[1], dpi=drawing.DPI,
                                     image_path=sig_path, original_path=sig_path, image_sha256=sig_sha)
        return Authorisation.create(enterprise=enterprise, seal=seal, signature=signature,
                                    requested_by=legal.name, submitted_at=at - datetime.timedelta(minutes=5),
                                    status=enums.ReceiptStatus.SUCCESS, receipt_at=at,
                                    receipt_message="印章签名授权成功")


def seed_layouts() -> int:
    """Called at the end of the demo seed: every certificate's layout job is enqueued and the
    worker renders them (海关端生成 → 发送中 → 接收成功). Returns jobs enqueued."""
    from redis.exceptions import ConnectionError as RedisDown
    from coo.queue import BULK_LAYOUTS
    from coo.services import layouts
    count = 0
    try:
        rows = (Certificate.select(Certificate.id)
                .where(Certificate.layout_status != enums.LayoutStatus.RECEIVED)
                .order_by(Certificate.issue_date.desc()))
        for row in rows:
            if layouts.enqueue_render(row.id, BULK_LAYOUTS) is not None:
                count += 1
    except RedisDown:
        # No Redis yet: the scheduler's sweep enqueues them once the worker runs.
        pass
    return count
