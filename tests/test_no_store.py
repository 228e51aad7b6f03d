"""Personal documents are `Cache-Control: no-store`: 预览/下载副本 PDFs (证书打印 and 证书下载), the
signed original of 下载正本, 导出 workbooks (sync and background), the print control's PDFs, and
the pages that show certificate data (the list, 出口原产地证书核查). `no-cache` is not enough: a shared
cache may still store the response. Static assets and the published verification keys stay
cacheable."""
import re

import pytest

from coo import enums
from coo.models import Certificate, PrintJob

from certdata import HUADONG, authorise, enterprise
from printing_support import paired_control, printable
from tests.history import undo_demo_history  # noqa: F401  (autouse: nobody printed or downloaded yet)
from tests.test_downloads import downloadable
from tests.test_printing import api, print_button


def read(response):
    """The body, with the file a download holds closed."""
    body = response.get_data()
    response.close()
    return body


def assert_no_store(response, mimetype):
    body = read(response)
    assert response.status_code == 200, body[:300]
    assert response.mimetype == mimetype
    assert response.headers["Cache-Control"] == "no-store"
    return body


PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_copy_pdfs_of_the_print_and_download_pages_are_no_store(app, client, operator):
    cert, = printable(app)
    assert_no_store(client.get(f"/printing/certificates/{cert.id}/copy.pdf"), PDF).startswith(b"%PDF")
    assert_no_store(client.get(f"/printing/certificates/{cert.id}/copy.pdf?download=1"), PDF)
    single_window, = downloadable(app)
    assert_no_store(client.get(f"/downloads/{single_window.id}/copy"), PDF)
    assert_no_store(client.get(f"/downloads/{single_window.id}/copy?download=1"), PDF)


def test_the_signed_original_is_no_store(app, client, operator):
    cert, = downloadable(app)
    body = assert_no_store(operator.post(f"/downloads/{cert.id}/original", token_from="/downloads/"), PDF)
    assert b"/ByteRange" in body          # the signed original, not an error page
    assert Certificate.get_by_id(cert.id).download_status == enums.DownloadStatus.DOWNLOADED


@pytest.fixture
def authorised(unauthorised_demo):
    return authorise(enterprise(HUADONG))


def test_exports_sync_and_background_are_no_store(app, client, operator, authorised, worker):
    sync = operator.post("/certificates/export", data={}, token_from="/certificates/")
    assert assert_no_store(sync, XLSX).startswith(b"PK")
    saved = app.config["EXPORT_SYNC_LIMIT"]
    app.config["EXPORT_SYNC_LIMIT"] = 1
    try:
        started = operator.post("/certificates/export", data={}, token_from="/certificates/")
    finally:
        app.config["EXPORT_SYNC_LIMIT"] = saved
    assert started.status_code == 303
    assert worker.subprocess_burst(queues=("exports",)).returncode == 0
    progress = client.get(started.headers["Location"])
    assert_no_store(progress, "text/html")
    link = re.search(r'href="(/certificates/exports/\d+/file)"', progress.get_data(as_text=True)).group(1)
    assert assert_no_store(client.get(link), XLSX).startswith(b"PK")


def test_the_print_controls_pdfs_are_no_store(app, client, operator):
    cert, = printable(app)
    _, token = paired_control()
    print_button(operator, [cert])
    job = PrintJob.get()
    api(client, "get", "/jobs/next?wait=0", token)
    for part in ("original", "copy"):
        assert_no_store(api(client, "get", f"/jobs/{job.id}/{part}.pdf", token), PDF)


def test_pages_with_certificate_data_are_no_store(app, client, operator, demo):
    cert, = printable(app)
    page = client.get("/certificates/", query_string={"number": cert.number})
    assert cert.number in assert_no_store(page, "text/html").decode()
    fragment = client.get("/certificates/", headers={"HX-Request": "true"})
    assert_no_store(fragment, "text/html")
    operator.logout()
    # 出口原产地证书核查 needs no login, and still shows an archived certificate's data.
    from coo.clock import utcnow
    from coo.security import verification_url
    Certificate.update(archive_status=enums.ArchiveStatus.ARCHIVED, print_status=enums.PrintStatus.PRINTED,
                       archived_at=utcnow(), verification_published_at=utcnow()).where(
        Certificate.id == cert.id).execute()
    with app.app_context():
        path = "/verify?" + verification_url(cert.number).split("?", 1)[1]
    html = assert_no_store(client.get(path), "text/html").decode()
    assert cert.number in html and "已归档" in html


def test_static_assets_and_the_published_keys_stay_cacheable(client):
    response = client.get("/static/js/coo.js")
    read(response)
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    keys = client.get("/.well-known/coo-keys.json")
    assert keys.status_code == 200 and keys.headers["Cache-Control"] == "public, max-age=3600"
