"""印章管理: 印章制作, 签名制作 and 我的操作员, as the legal person uses them (法人卡 only)."""
import datetime
import io
import re

import pytest

from coo import enums, storage
from coo.models import AuditEvent, Authorisation, Card, Operator, Seal, Signature
from coo.services import seals as seal_service
from coo.services import authorisation as authorisation_service
from coo.validators import id_check_char
from tests import scans


def _text(response):
    return response.get_data(as_text=True)


def _token(html):
    match = re.search(r'name="upload_token" value="([^"]+)"', html)
    assert match, "no preview token in the form"
    return match.group(1)


def _huadong():
    from coo.models import Enterprise
    return Enterprise.get(Enterprise.customs_code == "3301960001")


def _legal(enterprise=None):
    enterprise = enterprise or _huadong()
    return Operator.get((Operator.enterprise == enterprise) & Operator.is_legal_person)


def _seal_fields(**overrides):
    card = Card.get(Card.number == "8800000000001")
    fields = {"owner_id": str(card.holder_id), "seal_type": "company", "name": "合同专用章",
              "valid_from": datetime.date.today().isoformat(), "valid_to": card.valid_to.isoformat()}
    fields.update(overrides)
    return fields


def _preview(actions, data=None, filename="seal.png", htmx=True, path="/seals/new", **fields):
    form = dict(fields or _seal_fields())
    form["action"] = "preview"
    if data is not None:
        form["scan"] = (io.BytesIO(data), filename)
    return actions.post(path, form, htmx=htmx)


def _save(actions, token, pin, htmx=True, path="/seals/new", **fields):
    form = dict(fields or _seal_fields())
    form.update(action="save", upload_token=token, pin=pin)
    return actions.post(path, form, htmx=htmx)


def _audit(action):
    return AuditEvent.select().where(AuditEvent.action == action).count()


# --- the pages --------------------------------------------------------------------------------

def test_seal_page_has_the_manuals_columns_buttons_and_the_demo_seal(client, legal_person):
    response = client.get("/seals/")
    html = _text(response)
    assert response.status_code == 200 and "<html" in html
    for word in ("选择", "使用人", "印章名称", "印章类型", "使用状态", "起始日期", "结束日期",
                 "印章高度(毫米)", "印章宽度(毫米)", "新增印章", "修改印章", "停用印章", "启用印章", "删除印章"):
        assert word in html, word
    assert "公司报关专用章" in html and "王建国（法人）" in html and "已启用" in html and "42.0" in html
    fragment = client.get("/seals/", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in _text(fragment) and "公司报关专用章" in _text(fragment)


def test_menu_shows_seal_management(client, legal_person):
    assert 'href="/seals/"' in _text(client.get("/home")) and "印章管理" in _text(client.get("/home"))


def test_new_seal_form_page_and_fragment(client, legal_person):
    page = client.get("/seals/new")
    assert page.status_code == 200 and "<html" in _text(page)
    fragment = client.get("/seals/new", headers={"HX-Request": "true"})
    html = _text(fragment)
    assert fragment.status_code == 200 and "<html" not in html
    for word in ("真实印章图片", "印章操作员名称", "王建国", "印章名称", "选择印章", "不要使用手机拍照", "上传预览"):
        assert word in html, word


@pytest.mark.parametrize("path", ["/seals/", "/seals/new", "/seals/signatures", "/seals/signatures/new"])
def test_operator_password_login_is_refused_with_the_legal_person_message(client, operator, path):
    response = client.get(path)
    assert response.status_code == 403 and "法人卡" in _text(response)


def test_operator_card_login_is_refused(client, demo, actions):
    assert actions.login_card("8800000000002", demo.DEMO_PIN).status_code == 303
    response = client.get("/seals/")
    assert response.status_code == 403 and "需要使用电子口岸法人卡登录" in _text(response)
    before = Seal.select().count()
    response = _preview(actions, scans.round_seal(), htmx=True, **_seal_fields())
    assert response.status_code == 403 and Seal.select().count() == before


def test_legal_person_by_password_is_refused_too(client, demo, actions):
    actions.login_password("hd_admin", demo.DEMO_PASSWORD)
    assert client.get("/seals/").status_code == 403


# --- 新增印章: preview, then 保存印章 with the PIN ----------------------------------------------------

def test_upload_shows_a_real_size_preview_then_save_asks_for_the_pin(app, client, legal_person, demo):
    before = Seal.select().count()
    response = _preview(legal_person, scans.round_seal(42.0))
    html = _text(response)
    assert response.status_code == 200 and "<html" not in html
    assert "预览" in html and "42.0" in html and "圆形" in html and "法人卡密码" in html and "保存印章" in html
    assert 'width="159" height="159"' in html          # 42 mm at 96 CSS px per inch
    assert Seal.select().count() == before             # nothing saved by a preview
    token = _token(html)
    image = client.get(f"/seals/upload/{token}.png")
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data.startswith(b"\x89PNG")

    response = _save(legal_person, token, demo.DEMO_PIN)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/seals/"
    seal = Seal.get(Seal.name == "合同专用章")
    assert seal.shape == enums.SealShape.ROUND and seal.status == enums.UsageStatus.ENABLED
    assert abs(float(seal.width_mm) - 42) <= 1 and seal.dpi == 600
    with app.app_context():
        assert storage.read(seal.image_path).startswith(b"\x89PNG")
        assert storage.read(seal.original_path) == scans.round_seal(42.0)      # kept for audit
    assert _audit("seal_upload") == 1 and _audit("seal_create") == 1
    page = _text(client.get("/seals/"))
    assert "合同专用章" in page and "制作成功" in page
    assert client.get(f"/seals/{seal.id}/image.png").status_code == 200


def test_without_javascript_preview_is_a_page_and_save_redirects(client, legal_person, demo):
    response = _preview(legal_person, scans.ellipse_seal(), htmx=False)
    html = _text(response)
    assert response.status_code == 200 and "<html" in html and "椭圆形" in html
    response = _save(legal_person, _token(html), demo.DEMO_PIN, htmx=False)
    assert response.status_code == 303 and response.headers["Location"].endswith("/seals/")
    assert Seal.get(Seal.name == "合同专用章").shape == enums.SealShape.ELLIPSE


BAD_SCANS = [
    ("no dpi", scans.without_dpi, "seal.png", "请使用扫描仪扫描"),
    ("phone photo", scans.phone_photo, "IMG_0001.jpg", "不要使用手机拍照"),
    ("50 mm round", lambda: scans.round_seal(50.0), "seal.png", "直径不超过 45 毫米"),
    ("truncated", scans.truncated_png, "seal.png", "不完整或已损坏"),
    ("bomb", scans.decompression_bomb, "seal.png", "解压炸弹"),
    ("pdf renamed", lambda: scans.PDF_RENAMED, "seal.png", "PDF 文档，不是图片"),
    ("white", scans.white_scan, "seal.png", "没有找到印章"),
]


@pytest.mark.parametrize("label,make,filename,message", BAD_SCANS, ids=[b[0] for b in BAD_SCANS])
def test_bad_scans_are_refused_keeping_what_was_typed(client, legal_person, label, make, filename, message):
    before = (Seal.select().count(), _audit("seal_create"))
    response = _preview(legal_person, make(), filename, **_seal_fields(name="新印章甲"))
    html = _text(response)
    assert response.status_code == 422 and message in html
    assert 'value="新印章甲"' in html and "<html" not in html
    assert 'name="upload_token"' not in html
    assert (Seal.select().count(), _audit("seal_create")) == before


def test_save_without_a_preview_asks_for_the_scan(client, legal_person, demo):
    before = Seal.select().count()
    response = legal_person.post("/seals/new", dict(_seal_fields(), action="save", pin=demo.DEMO_PIN), htmx=True)
    assert response.status_code == 422 and "请选择印章扫描图片" in _text(response)
    assert Seal.select().count() == before


def test_a_forged_or_foreign_token_is_not_accepted(client, legal_person, demo):
    token = _token(_text(_preview(legal_person, scans.round_seal())))
    before = Seal.select().count()
    response = _save(legal_person, token[:-4] + "AAAA", demo.DEMO_PIN)
    assert response.status_code == 422 and "预览已过期" in _text(response)
    assert Seal.select().count() == before
    legal_person.logout()
    legal_person.login_card("8800000000011", demo.DEMO_PIN)          # 远洋's legal person
    assert client.get(f"/seals/upload/{token}.png").status_code == 404
    response = _save(legal_person, token, demo.DEMO_PIN, **_seal_fields(
        owner_id=str(Card.get(Card.number == "8800000000011").holder_id)))
    assert response.status_code == 422 and Seal.select().count() == before


def test_dates_outside_the_card_validity_are_refused(client, legal_person, demo):
    card = Card.get(Card.number == "8800000000001")
    token = _token(_text(_preview(legal_person, scans.round_seal())))
    before = Seal.select().count()
    late = (card.valid_to + datetime.timedelta(days=1)).isoformat()
    response = _save(legal_person, token, demo.DEMO_PIN, **_seal_fields(valid_to=late))
    html = _text(response)
    assert response.status_code == 422 and "卡证书有效期内" in html and f'value="{late}"' in html
    assert 'name="upload_token"' in html          # the preview stays: no need to upload again
    assert Seal.select().count() == before
    assert Card.get_by_id(card.id).failed_pin_count == 0     # the PIN was not even tried


def test_end_before_start_is_refused(client, legal_person, demo):
    token = _token(_text(_preview(legal_person, scans.round_seal())))
    today = datetime.date.today()
    response = _save(legal_person, token, demo.DEMO_PIN, **_seal_fields(
        valid_from=today.isoformat(), valid_to=(today - datetime.timedelta(days=1)).isoformat()))
    assert response.status_code == 422 and "结束日期不能早于" in _text(response)


def test_wrong_pin_is_refused_and_counts_toward_the_card_lock(client, legal_person):
    token = _token(_text(_preview(legal_person, scans.round_seal())))
    before = Seal.select().count()
    response = _save(legal_person, token, "00000000")
    html = _text(response)
    assert response.status_code == 422 and "法人卡密码错误" in html and 'value="合同专用章"' in html
    assert Seal.select().count() == before
    assert Card.get(Card.number == "8800000000001").failed_pin_count == 1
    assert _audit("pin_failed") == 1


def test_duplicate_name_is_refused(client, legal_person, demo):
    token = _token(_text(_preview(legal_person, scans.round_seal())))
    before = Seal.select().count()
    response = _save(legal_person, token, demo.DEMO_PIN, **_seal_fields(name="公司报关专用章"))
    assert response.status_code == 422 and "已存在" in _text(response)
    assert Seal.select().count() == before


def test_a_deleted_seal_frees_its_name(client, legal_person, demo):
    seal = Seal.get(Seal.name == "公司报关专用章")
    seal_service.disable(seal_service.SEAL, seal)
    seal_service.delete(seal_service.SEAL, seal)
    token = _token(_text(_preview(legal_person, scans.round_seal())))
    response = _save(legal_person, token, demo.DEMO_PIN, **_seal_fields(name="公司报关专用章"))
    assert response.status_code == 204


def test_body_over_the_request_limit_gets_the_form_back(client, legal_person):
    from werkzeug.test import encode_multipart
    big = b"\x89PNG\r\n\x1a\n" + b"\x00" * (7 * 1024 * 1024)
    form = dict(_seal_fields(), action="preview", csrf_token=legal_person.token("/home"),
                scan=(io.BytesIO(big), "seal.png"))
    boundary, body = encode_multipart(form)     # in memory: the test client's temp file would stay open
    before = Seal.select().count()
    response = client.post("/seals/new", data=body, content_type=f"multipart/form-data; boundary={boundary}",
                           headers={"HX-Request": "true"})
    assert response.status_code == 422 and "文件过大" in _text(response)
    assert Seal.select().count() == before


def test_scans_previewed_but_never_saved_are_removed_after_their_token_expires(app, client, legal_person, demo):
    import os
    import time
    from jobs.maintenance import remove_unsaved_uploads

    def stored(token):
        with app.test_request_context():
            upload = seal_service.upload_from_token(_huadong(), "seal", token)
            local = storage.backend()
            return upload and (local.local_path(upload.image_path), local.local_path(upload.original_path))

    saved_token = _token(_text(_preview(legal_person, scans.round_seal(41.0))))
    assert _save(legal_person, saved_token, demo.DEMO_PIN).status_code == 204
    abandoned_token = _token(_text(_preview(legal_person, scans.round_seal(43.0))))
    abandoned = stored(abandoned_token)
    with app.app_context():
        kept = [storage.backend().local_path(p) for seal in Seal.select() for p in (seal.image_path, seal.original_path)]
        old = time.time() - seal_service.UPLOAD_MAX_AGE_S - 3 * 3600
        for root, _, files in os.walk(storage.backend().root):
            for name in files:
                os.utime(os.path.join(root, name), (old, old))
    fresh_token = _token(_text(_preview(legal_person, scans.round_seal(44.0))))   # uploaded just now

    assert remove_unsaved_uploads() >= 2     # (earlier tests' unsaved scans share the storage)
    assert not any(path.exists() for path in abandoned)
    assert client.get(f"/seals/upload/{abandoned_token}.png").status_code == 404
    assert all(path.exists() for path in kept)                    # every seal's scan and original
    assert all(path.exists() for path in stored(fresh_token))
    assert remove_unsaved_uploads() == 0


# --- 修改, 停用, 启用, 删除 ----------------------------------------------------------------------------

def _act(actions, op, seal_id, htmx=True):
    return actions.post("/seals/act", {"op": op, "seal_id": str(seal_id)}, htmx=htmx)


def test_deleting_an_enabled_seal_is_refused(client, legal_person):
    seal = Seal.get(Seal.name == "公司报关专用章")
    response = _act(legal_person, "delete", seal.id)
    assert response.status_code == 422 and "只能删除已停用的印章" in _text(response)
    assert Seal.get_by_id(seal.id).deleted_at is None and _audit("seal_delete") == 0


def test_disable_then_delete(client, legal_person):
    seal = Seal.get(Seal.name == "公司报关专用章")
    response = _act(legal_person, "disable", seal.id)
    assert response.status_code == 200 and "已停用印章" in _text(response) and "已停用" in _text(response)
    assert Seal.get_by_id(seal.id).status == enums.UsageStatus.DISABLED
    response = _act(legal_person, "delete", seal.id, htmx=False)
    assert response.status_code == 303 and response.headers["Location"].endswith("/seals/")
    assert Seal.get_by_id(seal.id).deleted_at is not None
    assert 'aria-label="选择 公司报关专用章"' not in _text(client.get("/seals/"))
    assert _audit("seal_disable") == 1 and _audit("seal_delete") == 1


def test_enable_again(client, legal_person):
    seal = Seal.get(Seal.name == "公司报关专用章")
    _act(legal_person, "disable", seal.id)
    response = _act(legal_person, "enable", seal.id)
    assert response.status_code == 200 and Seal.get_by_id(seal.id).status == enums.UsageStatus.ENABLED
    response = _act(legal_person, "enable", seal.id)
    assert response.status_code == 422 and "已是已启用状态" in _text(response)


def test_no_selection_says_choose_first(client, legal_person):
    response = legal_person.post("/seals/act", {"op": "disable"}, htmx=True)
    assert response.status_code == 422 and "请先在列表中选择印章" in _text(response)


def test_another_enterprises_seal_is_404(client, legal_person):
    from coo.models import Enterprise
    theirs = Seal.get(Seal.enterprise == Enterprise.get(Enterprise.customs_code == "3202960002"))
    assert _act(legal_person, "disable", theirs.id).status_code == 404
    assert client.get(f"/seals/edit?seal_id={theirs.id}").status_code == 404
    assert client.get(f"/seals/{theirs.id}/image.png").status_code == 404
    assert legal_person.post(f"/seals/{theirs.id}/edit", dict(_seal_fields(), action="save")).status_code == 404
    assert Seal.get_by_id(theirs.id).status == enums.UsageStatus.ENABLED


def test_edit_name_and_validity(client, legal_person, demo):
    seal = Seal.get(Seal.name == "公司报关专用章")
    fragment = client.get(f"/seals/edit?seal_id={seal.id}", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "修改印章" in _text(fragment) and 'value="公司报关专用章"' in _text(fragment)
    new_end = (datetime.date.today() + datetime.timedelta(days=200)).isoformat()
    response = legal_person.post(f"/seals/{seal.id}/edit", dict(_seal_fields(name="报关章", valid_to=new_end),
                                                                 action="save", pin=demo.DEMO_PIN), htmx=True)
    assert response.status_code == 204
    seal = Seal.get_by_id(seal.id)
    assert seal.name == "报关章" and seal.valid_to.isoformat() == new_end and _audit("seal_update") == 1


def test_edit_may_replace_the_image(client, legal_person, demo):
    seal = Seal.get(Seal.name == "公司报关专用章")
    path = f"/seals/{seal.id}/edit"
    fields = _seal_fields(name="公司报关专用章")
    token = _token(_text(_preview(legal_person, scans.ellipse_seal(), path=path, **fields)))
    assert _save(legal_person, token, demo.DEMO_PIN, path=path, **fields).status_code == 204
    assert Seal.get_by_id(seal.id).shape == enums.SealShape.ELLIPSE


def _authorise(enterprise):
    seal = authorisation_service.usable_seals(enterprise).first()
    signature = authorisation_service.usable_signatures(enterprise).first()
    return Authorisation.create(enterprise=enterprise, seal=seal, signature=signature, requested_by="王建国",
                                status=enums.ReceiptStatus.SUCCESS, receipt_at=datetime.datetime.utcnow())


def test_the_authorised_seal_is_marked_and_disabling_it_asks_for_a_new_authorisation(client, legal_person):
    auth = _authorise(_huadong())
    assert "当前授权" in _text(client.get("/seals/"))
    _act(legal_person, "disable", auth.seal_id)
    assert Authorisation.get_by_id(auth.id).superseded_at is not None
    assert "需要重新授权" in _text(client.get("/seals/"))
    assert _audit("authorisation_superseded") == 1


def test_editing_the_authorised_seal_supersedes_the_authorisation(client, legal_person, demo):
    auth = _authorise(_huadong())
    legal_person.post(f"/seals/{auth.seal_id}/edit", dict(_seal_fields(name="新名称"), action="save",
                                                           pin=demo.DEMO_PIN), htmx=True)
    assert Authorisation.get_by_id(auth.id).superseded_at is not None


def test_changing_another_seal_leaves_the_authorisation_alone(client, legal_person, demo):
    auth = _authorise(_huadong())
    token = _token(_text(_preview(legal_person, scans.round_seal())))
    _save(legal_person, token, demo.DEMO_PIN)
    other = Seal.get(Seal.name == "合同专用章")
    _act(legal_person, "disable", other.id)
    assert Authorisation.get_by_id(auth.id).superseded_at is None


def test_usable_seals_and_signatures(app, demo):
    huadong = _huadong()
    assert [s.name for s in authorisation_service.usable_seals(huadong)] == ["公司报关专用章"]
    assert [s.name for s in authorisation_service.usable_signatures(huadong)] == ["王建国"]
    seal = Seal.get(Seal.name == "公司报关专用章")
    Seal.update(valid_to=datetime.date.today() - datetime.timedelta(days=1)).where(Seal.id == seal.id).execute()
    assert list(authorisation_service.usable_seals(huadong)) == []


# --- 签名制作 -------------------------------------------------------------------------------------

def test_signature_page_and_fragment(client, legal_person):
    html = _text(client.get("/seals/signatures"))
    for word in ("签名制作", "新增签名", "停用签名", "启用签名", "删除签名", "王建国"):
        assert word in html, word
    fragment = client.get("/seals/signatures", headers={"HX-Request": "true"})
    assert "<html" not in _text(fragment) and "新增签名" in _text(fragment)


def test_choosing_the_declarant_fills_id_number_and_signature_name(client, legal_person):
    person = Operator.get(Operator.name == "陈志强")
    response = client.get(f"/seals/signatures/new?declarant_id={person.id}", headers={"HX-Request": "true"})
    html = _text(response)
    assert response.status_code == 200 and "<html" not in html
    assert f'value="{person.id_number}"' in html and 'value="陈志强"' in html and "管理员账号信息管理" in html


def test_new_signature_preview_and_save(client, legal_person, demo):
    person = Operator.get(Operator.name == "陈志强")
    fields = {"declarant_id": str(person.id), "name": "陈志强"}
    response = _preview(legal_person, scans.signature("陈志强"), path="/seals/signatures/new", **fields)
    html = _text(response)
    assert response.status_code == 200 and "保存签名" in html and 'width="113" height="45"' in html
    token = _token(html)
    assert client.get(f"/seals/signatures/upload/{token}.png").status_code == 200
    response = _save(legal_person, token, demo.DEMO_PIN, path="/seals/signatures/new", **fields)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/seals/signatures"
    row = Signature.get(Signature.name == "陈志强")
    assert row.declarant_id == person.id and abs(float(row.width_mm) - 30) <= 1
    assert _audit("signature_create") == 1


def test_a_seal_scan_is_not_a_signature(client, legal_person):
    person = Operator.get(Operator.name == "陈志强")
    before = Signature.select().count()
    response = _preview(legal_person, scans.round_seal(), path="/seals/signatures/new",
                        declarant_id=str(person.id), name="陈志强")
    assert response.status_code == 422 and "签名颜色不符" in _text(response) and 'value="陈志强"' in _text(response)
    assert Signature.select().count() == before


def test_missing_declarant_points_to_my_operators(client, legal_person):
    response = _preview(legal_person, scans.signature(), path="/seals/signatures/new", declarant_id="", name="")
    html = _text(response)
    assert response.status_code == 422 and "管理员账号信息管理" in html and "新增无卡操作员" in html


def test_signature_disable_delete_and_404(client, legal_person):
    row = Signature.get(Signature.name == "王建国")
    response = legal_person.post("/seals/signatures/act", {"op": "delete", "signature_id": str(row.id)}, htmx=True)
    assert response.status_code == 422 and "只能删除已停用的签名" in _text(response)
    legal_person.post("/seals/signatures/act", {"op": "disable", "signature_id": str(row.id)}, htmx=True)
    response = legal_person.post("/seals/signatures/act", {"op": "delete", "signature_id": str(row.id)}, htmx=True)
    assert response.status_code == 200 and Signature.get_by_id(row.id).deleted_at is not None
    theirs = Signature.get(Signature.name == "张海涛")
    response = legal_person.post("/seals/signatures/act", {"op": "disable", "signature_id": str(theirs.id)})
    assert response.status_code == 404
    assert client.get(f"/seals/signatures/{theirs.id}/image.png").status_code == 404


# --- 我的操作员: 新增无卡操作员, 停用 -----------------------------------------------------------------------

def _id(body="11010519491231002"):
    return body + id_check_char(body)


def test_new_cardless_operator(client, legal_person):
    fragment = client.get("/account/operators/new", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "新增无卡操作员" in _text(fragment) and "<html" not in _text(fragment)
    response = legal_person.post("/account/operators/new", {"name": "周敏", "id_number": _id(), "phone": "13912345678"},
                                 htmx=True)
    # htmx: the list comes back in place of the closed editor (an HX-Redirect to this same page
    # would only have scrolled to #operators).
    assert response.status_code == 200 and response.headers["HX-Retarget"] == "#operator-list"
    assert "已新增无卡操作员“周敏”。" in _text(response) and "<html" not in _text(response)
    assert '<div id="operator-editor" hx-swap-oob="true"></div>' in _text(response)
    person = Operator.get(Operator.name == "周敏")
    assert person.is_declarant and not person.is_legal_person and _audit("operator_create") == 1
    assert "周敏" in _text(client.get("/account/"))


def _wrong_check_digit():
    good = _id()
    return good[:-1] + ("1" if good[-1] != "1" else "2")


@pytest.mark.parametrize("id_number,message", [
    (_wrong_check_digit(), "校验位不正确"),
    (_id("11010519491331002"), "出生日期无效"),       # month 13
    ("1101051949", "18 位"),
])
def test_bad_id_numbers_are_refused_keeping_the_input(client, legal_person, id_number, message):
    before = Operator.select().count()
    response = legal_person.post("/account/operators/new", {"name": "周敏", "id_number": id_number,
                                                            "phone": "13912345678"}, htmx=True)
    html = _text(response)
    assert response.status_code == 422 and message in html and 'value="周敏"' in html
    assert Operator.select().count() == before


def test_duplicate_id_in_the_enterprise_is_refused(client, legal_person):
    existing = Operator.get(Operator.name == "陈志强")
    before = Operator.select().count()
    response = legal_person.post("/account/operators/new", {"name": "陈志强", "id_number": existing.id_number,
                                                            "phone": "13912345678"}, htmx=True)
    assert response.status_code == 422 and "不能重复添加" in _text(response)
    assert Operator.select().count() == before


def test_disable_a_cardless_operator_but_not_the_legal_person(client, legal_person):
    person = Operator.get(Operator.name == "陈志强")
    response = legal_person.post(f"/account/operators/{person.id}/disable", htmx=True)
    assert response.status_code == 200 and "已停用操作员" in _text(response)
    assert not Operator.get_by_id(person.id).active and _audit("operator_disable") == 1
    legal = _legal()
    response = legal_person.post(f"/account/operators/{legal.id}/disable", htmx=True)
    assert response.status_code == 422 and "不能停用法人" in _text(response)
    assert Operator.get_by_id(legal.id).active


def test_operator_cannot_add_or_disable_operators(client, operator):
    before = Operator.select().count()
    response = operator.post("/account/operators/new", {"name": "周敏", "id_number": _id(), "phone": "13912345678"})
    assert response.status_code == 403 and Operator.select().count() == before
    person = Operator.get(Operator.name == "陈志强")
    assert operator.post(f"/account/operators/{person.id}/disable").status_code == 403
    assert Operator.get_by_id(person.id).active
    assert "新增无卡操作员" not in _text(client.get("/account/"))
