"""Scan processing (印章制作 / 签名制作): measured size, shape, transparency, and every refusal.
Scans are drawn with Pillow at 600 dpi (tests/scans.py), as a flatbed scanner would save them."""
import io

import pytest
from PIL import Image

from coo import enums, scan
from coo.services import sample_scans
from tests import scans


def _open(result):
    image = Image.open(io.BytesIO(result.png))
    image.load()
    return image


def _assert_transparent_background(result, corners=True):
    image = _open(result).convert("RGBA")
    alpha = image.getchannel("A")
    w, h = image.size
    if corners:   # outside a round or oval seal
        for corner in ((0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1)):
            assert alpha.getpixel(corner) == 0, corner
    transparent = alpha.histogram()[0] / (w * h)
    assert transparent > 0.3       # paper is gone, ink stays
    assert alpha.getbbox() == (0, 0, w, h)   # cropped to the ink


@pytest.mark.parametrize("fmt,dpi", [("PNG", 600), ("JPEG", 600), ("TIFF", 400), ("BMP", 300)])
def test_red_round_seal_is_measured_found_round_and_cut_out(fmt, dpi):
    result = scan.process(scans.round_seal(42.0, dpi, fmt=fmt), scan.SEAL)
    assert result.shape == enums.SealShape.ROUND
    assert abs(float(result.width_mm) - 42) <= 1 and abs(float(result.height_mm) - 42) <= 1
    assert result.dpi == dpi and result.ink == "红色" and result.source_format == fmt
    _assert_transparent_background(result)


def test_the_processed_png_keeps_the_scan_dpi_so_layouts_print_it_at_real_size():
    result = scan.process(scans.round_seal(), scan.SEAL)
    image = _open(result)
    assert round(image.info["dpi"][0]) == 600
    assert abs(image.width * 25.4 / image.info["dpi"][0] - 42) <= 1


def test_ellipse_seal():
    result = scan.process(scans.ellipse_seal(45.0, 30.0), scan.SEAL)
    assert result.shape == enums.SealShape.ELLIPSE
    assert abs(float(result.width_mm) - 45) <= 1 and abs(float(result.height_mm) - 30) <= 1
    _assert_transparent_background(result)


def test_rectangle_seal():
    result = scan.process(scans.rectangle_seal(50.0, 30.0), scan.SEAL)
    assert result.shape == enums.SealShape.RECTANGLE
    assert abs(float(result.width_mm) - 50) <= 1 and abs(float(result.height_mm) - 30) <= 1
    _assert_transparent_background(result, corners=False)
    alpha = _open(result).convert("RGBA").getchannel("A")
    assert alpha.getpixel((60, alpha.height // 2)) == 0     # inside the frame, left of the text


def test_blue_seal_at_300_dpi_is_accepted():
    result = scan.process(scans.round_seal(40.0, 300, colour=sample_scans.SEAL_BLUE), scan.SEAL)
    assert result.shape == enums.SealShape.ROUND and result.ink == "蓝色" and result.dpi == 300
    assert abs(float(result.width_mm) - 40) <= 1


def test_signature():
    result = scan.process(scans.signature(width_mm=30.0, height_mm=12.0), scan.SIGNATURE)
    assert result.shape is None and result.ink == "黑色"
    assert abs(float(result.width_mm) - 30) <= 1 and abs(float(result.height_mm) - 12) <= 1
    _assert_transparent_background(result)


def test_a_speck_of_dust_away_from_the_seal_does_not_stretch_the_crop():
    image = Image.open(io.BytesIO(scans.round_seal()))
    image.load()
    image.paste((90, 90, 90), (10, 10, 14, 14))         # a 0.2 mm speck in the corner
    buf = io.BytesIO()
    image.save(buf, "PNG", dpi=(600, 600))
    result = scan.process(buf.getvalue(), scan.SEAL)
    assert abs(float(result.width_mm) - 42) <= 1 and result.shape == enums.SealShape.ROUND


def _refused(data, kind=scan.SEAL, **kw):
    with pytest.raises(scan.ScanError) as caught:
        scan.process(data, kind, **kw)
    return caught.value.message


def test_no_dpi_is_refused():
    assert "请使用扫描仪扫描" in _refused(scans.without_dpi())


def test_low_dpi_is_refused():
    message = _refused(scans.round_seal(42.0, 150))
    assert "请使用扫描仪扫描" in message and "150 dpi" in message


def test_phone_photo_is_refused_quoting_the_manual():
    message = _refused(scans.phone_photo())
    assert "不要使用手机拍照" in message and "iPhone" in message


def test_round_seal_over_45_mm_is_refused():
    message = _refused(scans.round_seal(50.0))
    assert "圆形印章直径不超过 45 毫米" in message and "50.0" in message


def test_oversize_rectangle_and_ellipse_are_refused():
    assert "长方形印章长不超过 55 毫米" in _refused(scans.rectangle_seal(50.0, 44.0))
    assert "椭圆形印章长轴不超过 55 毫米" in _refused(scans.ellipse_seal(58.0, 40.0))


def test_too_small_seal_is_refused():
    assert "尺寸过小" in _refused(scans.round_seal(12.0))


def test_oversize_signature_is_refused():
    assert "签名宽不超过 35 毫米" in _refused(scans.signature(width_mm=40.0), scan.SIGNATURE)


def test_truncated_png_is_refused():
    assert "不完整或已损坏" in _refused(scans.truncated_png())


def test_truncated_png_is_refused_even_after_weasyprint_is_imported():
    import weasyprint  # noqa: F401  (sets Pillow's LOAD_TRUNCATED_IMAGES = True globally)
    from PIL import ImageFile
    assert "不完整或已损坏" in _refused(scans.truncated_png())
    assert "不完整或已损坏" in _refused(scans.truncated_png()[:-2000], scan.SEAL)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True      # and the global is left as it was


def test_decompression_bomb_is_refused_before_decoding():
    assert "解压炸弹" in _refused(scans.decompression_bomb(10000))


def test_too_many_pixels_is_refused():
    assert "图片尺寸过大（6000 × 6000 像素）" in _refused(scans.decompression_bomb(6000), max_pixels=30_000_000)


def test_pdf_renamed_png_is_refused():
    assert "PDF 文档，不是图片" in _refused(scans.PDF_RENAMED)


def test_other_files_are_refused():
    assert "只支持 PNG、JPEG、BMP、TIFF" in _refused(b"GIF89a" + b"\x00" * 100)
    assert "请选择扫描图片文件" in _refused(b"")


def test_file_over_the_size_limit_is_refused():
    assert "不能超过 5 MB" in _refused(scans.too_large_file())


def test_empty_white_scan_is_refused():
    assert "没有找到印章" in _refused(scans.white_scan())
    assert "没有找到签名" in _refused(scans.white_scan(), scan.SIGNATURE)


def test_nearly_empty_scan_is_refused():
    image = Image.open(io.BytesIO(scans.white_scan()))
    image.paste(sample_scans.SEAL_RED, (400, 400, 430, 430))    # a 1.3 mm red dot
    buf = io.BytesIO()
    image.save(buf, "PNG", dpi=(600, 600))
    assert "没有找到印章" in _refused(buf.getvalue())


def test_wrong_colours_are_refused():
    assert "印章颜色不符（绿色）" in _refused(scans.round_seal(colour=(40, 150, 60)))
    assert "印章颜色不符（黑色）" in _refused(scans.signature())
    assert "签名颜色不符（红色）" in _refused(scans.signature(colour=(200, 30, 40)), scan.SIGNATURE)


def test_a_seal_without_a_round_oval_or_rectangular_outline_is_refused():
    image = Image.open(io.BytesIO(scans.white_scan()))
    from PIL import ImageDraw
    ImageDraw.Draw(image).polygon([(590, 100), (1080, 1080), (100, 1080)], outline=sample_scans.SEAL_RED, width=28)
    buf = io.BytesIO()
    image.save(buf, "PNG", dpi=(600, 600))
    assert "无法识别印章形状" in _refused(buf.getvalue())
