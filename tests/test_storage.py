"""Files every host sees (issue 12, item 9): one storage interface, two backends.

The contract runs against the local folder and against a real S3-compatible server (moto's
standalone server on loopback, started once for the session). The key test runs two gunicorn
web processes, each with its own empty COO_STORAGE_PATH, on one database, one Redis and one
bucket: a layout rendered and an export written by a real worker through one are served by
the other."""
import datetime
import http.cookiejar
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from coo import storage
from coo.models import Certificate, ExportTask

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url, proc, what, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return                      # it answers
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer at {url}")


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """moto's standalone S3 server on a free loopback port, for the whole session."""
    port = _free_port()
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "wb")
    proc = subprocess.Popen([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_http(url, proc, "moto_server")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


S3_CREDENTIALS = {"S3_ACCESS_KEY_ID": "coo-test", "S3_SECRET_ACCESS_KEY": "coo-test-secret",
                  "S3_REGION": "us-east-1"}


@pytest.fixture
def s3_bucket(s3_server):
    """A new, empty bucket on the server."""
    import boto3
    name = f"coo-test-{uuid.uuid4().hex[:12]}"
    client = boto3.session.Session().client(
        "s3", endpoint_url=s3_server, region_name="us-east-1",
        aws_access_key_id=S3_CREDENTIALS["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_CREDENTIALS["S3_SECRET_ACCESS_KEY"])
    client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_app(app, s3_server, s3_bucket):
    """The app (and in-process workers) on the object store for one test."""
    settings = dict(S3_CREDENTIALS, STORAGE_BACKEND="s3", S3_ENDPOINT_URL=s3_server, S3_BUCKET=s3_bucket,
                    S3_PREFIX="", S3_ADDRESSING_STYLE="")
    before = {name: app.config.get(name) for name in settings}
    app.config.update(settings)
    yield app
    app.config.update(before)


@pytest.fixture(params=["local", "s3"])
def any_backend(request, app):
    """The app on each backend in turn."""
    if request.param == "s3":
        return request.getfixturevalue("s3_app")
    return app


# --- The contract, on both backends -----------------------------------------------------------

def test_stored_bytes_come_back_by_key_and_only_by_key(any_backend):
    with any_backend.app_context():
        key, digest = storage.put(b"%PDF-1.7 one layout", "layouts", ".pdf")
        assert key == f"layouts/{digest[:2]}/{digest}.pdf"
        assert storage.exists(key) and storage.read(key) == b"%PDF-1.7 one layout"
        assert storage.put(b"%PDF-1.7 one layout", "layouts", ".pdf") == (key, digest)  # same bytes, same key
        with storage.open(key) as stored:
            assert stored.size == len(b"%PDF-1.7 one layout")
            assert stored.modified.tzinfo is not None
            assert stored.read(4) == b"%PDF" and stored.read() == b"-1.7 one layout"

        assert not storage.exists("layouts/00/missing.pdf") and not storage.exists("")
        with pytest.raises(storage.NotFound):
            storage.read("layouts/00/missing.pdf")
        for bad in ("../config/__init__.py", "/etc/passwd", "layouts/../../x", "layouts//x", "", "a\\b", ".env"):
            with pytest.raises(ValueError, match="not a storage key"):
                storage.read(bad)

        storage.delete(key)
        assert not storage.exists(key)
        storage.delete(key)                    # deleting what is gone is not an error


def test_a_large_file_is_stored_and_read_back_as_a_stream(any_backend):
    # 9 MiB: above boto3's 8 MiB multipart threshold, so the object store gets it in parts.
    blob = os.urandom(1024 * 1024) * 9
    with any_backend.app_context():
        storage.put_file("exports/export-large.xlsx", io.BytesIO(blob))
        with storage.open("exports/export-large.xlsx") as stored:
            assert stored.size == len(blob)
            chunks = list(stored)
        assert len(chunks) > 1 and b"".join(chunks) == blob
        storage.delete("exports/export-large.xlsx")


def test_listing_by_prefix_names_each_file_with_its_age(any_backend):
    with any_backend.app_context():
        before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
        seal, _ = storage.put(b"seal-" + uuid.uuid4().bytes, "seals", ".png")
        signature, _ = storage.put(b"sig-" + uuid.uuid4().bytes, "signatures", ".png")
        listed = {entry.key: entry for entry in storage.list("seals/")}
        assert seal in listed and signature not in listed
        assert all(key.startswith("seals/") for key in listed)
        assert listed[seal].size == len(storage.read(seal)) and listed[seal].modified > before
        assert list(storage.list("nothing-here/")) == []


def test_the_hourly_sweep_removes_unsaved_scans_and_keeps_saved_ones(any_backend, client, legal_person, demo):
    """上传预览 stores a scan before 保存印章; one never saved is removed by the hourly job once its
    form token has expired, on either backend (the job is run with a clock moved past that)."""
    import scans
    from coo.models import Seal
    from coo.services import seals as seal_service

    def preview(data):
        from coo.models import Card
        card = Card.get(Card.number == "8800000000001")
        response = legal_person.post("/seals/new", {
            "owner_id": str(card.holder_id), "seal_type": "company", "name": "合同专用章",
            "valid_from": datetime.date.today().isoformat(), "valid_to": card.valid_to.isoformat(),
            "action": "preview", "scan": (io.BytesIO(data), "seal.png")}, htmx=True)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        return re.search(r'name="upload_token" value="([^"]+)"', response.get_data(as_text=True)).group(1)

    def files_of(token):
        with any_backend.test_request_context():
            upload = seal_service.upload_from_token(seal_service_enterprise(), "seal", token)
            return upload and (upload.image_path, upload.original_path)

    abandoned = files_of(preview(scans.round_seal(43.0)))
    assert abandoned
    with any_backend.app_context():
        assert all(storage.exists(key) for key in abandoned)
        saved = [key for seal in Seal.select() for key in (seal.image_path, seal.original_path)]
        assert saved and all(storage.exists(key) for key in saved)
        seal_service.remove_unsaved_uploads()                        # (older tests' leftovers may go)
        assert all(storage.exists(key) for key in abandoned)         # too young: its token still works
        later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(
            seconds=seal_service.UPLOAD_MAX_AGE_S + 2 * 3600)
        assert seal_service.remove_unsaved_uploads(now=later) >= 2
        assert not any(storage.exists(key) for key in abandoned)
        assert all(storage.exists(key) for key in saved)


def seal_service_enterprise():
    from customs_helpers import HUADONG, enterprise
    return enterprise(HUADONG)


def test_the_copy_pdf_is_streamed_from_the_object_store_with_its_headers(s3_app, client, unauthorised_demo,
                                                                        operator):
    """预览/下载副本 on the object store: the stored bytes, inline or as a download."""
    from certdata import authorise, listed_for, receive_layouts
    from customs_helpers import HUADONG, enterprise
    huadong = enterprise(HUADONG)
    cert = listed_for(huadong, authorise(huadong).receipt_at)[0]
    with s3_app.app_context():
        key, _ = storage.put(b"%PDF-1.7 copy of " + cert.number.encode(), "layouts", ".pdf")
    Certificate.update(layout_copy_path=key, layout_original_path=key).where(Certificate.id == cert.id).execute()
    receive_layouts(Certificate.id == cert.id)
    shown = client.get(f"/printing/certificates/{cert.id}/copy.pdf")
    assert shown.status_code == 200 and shown.mimetype == "application/pdf"
    assert shown.get_data() == b"%PDF-1.7 copy of " + cert.number.encode()
    assert shown.headers["Content-Length"] == str(len(shown.get_data()))
    assert shown.headers["Content-Disposition"].startswith("inline")
    saved = client.get(f"/printing/certificates/{cert.id}/copy.pdf?download=1")
    assert saved.status_code == 200 and saved.headers["Content-Disposition"].startswith("attachment")
    with s3_app.app_context():
        storage.delete(key)
    assert client.get(f"/printing/certificates/{cert.id}/copy.pdf").status_code == 404


def test_a_file_gone_from_the_storage_is_404_not_500(any_backend, client, unauthorised_demo, operator):
    """An export swept (or a layout lost) between the list and the click: 404, on either backend."""
    from certdata import authorise, listed_for, receive_layouts
    from coo import enums
    from customs_helpers import HUADONG, enterprise
    huadong = enterprise(HUADONG)
    cert = listed_for(huadong, authorise(huadong).receipt_at)[0]
    Certificate.update(layout_copy_path="layouts/00/gone.pdf", layout_original_path="layouts/00/gone.pdf").where(
        Certificate.id == cert.id).execute()
    receive_layouts(Certificate.id == cert.id)
    task = ExportTask.create(job_id="export-gone", enterprise=huadong, requested_by="test", query="",
                             status=enums.ExportStatus.COMPLETE, file_path="exports/export-gone.xlsx")
    assert client.get(f"/printing/certificates/{cert.id}/copy.pdf").status_code == 404
    assert client.get(f"/certificates/exports/{task.id}/file").status_code == 404


def test_storage_check_writes_reads_and_removes_a_probe(any_backend):
    result = any_backend.test_cli_runner().invoke(args=["coo", "storage-check"])
    assert result.exit_code == 0, result.output
    expected = "s3 bucket" if any_backend.config["STORAGE_BACKEND"] == "s3" else "local folder"
    assert result.output.startswith("storage ok: " + expected)
    with any_backend.app_context():
        assert list(storage.list("probes/")) == []


def test_storage_check_names_what_is_wrong(s3_app):
    s3_app.config["S3_BUCKET"] = "no-such-bucket-here"
    result = s3_app.test_cli_runner().invoke(args=["coo", "storage-check"])
    assert result.exit_code == 1 and "storage check failed" in result.output and "NoSuchBucket" in result.output


def test_download_original_and_copy_on_the_object_store(s3_app, client, operator):
    """证书下载 on the object store: the signed original is made once, kept in the bucket and
    sent again the same; 副本 comes back as stored."""
    import weasyprint
    from coo import enums
    from coo.models import CertificateType, DownloadRecord, Enterprise
    from customs_helpers import HUADONG
    huadong = Enterprise.get(Enterprise.name_zh == HUADONG)
    Certificate.update(print_status=enums.PrintStatus.PENDING, download_status=enums.DownloadStatus.PENDING,
                       archive_status=enums.ArchiveStatus.UNARCHIVED, reprint_allowed=False).execute()
    DownloadRecord.delete().execute()
    from coo.models import PrintJob
    PrintJob.delete().execute()
    cert = (Certificate.select().join(CertificateType)
            .where((Certificate.exporter == huadong) & (Certificate.applicant == huadong)
                   & CertificateType.e_download & (Certificate.platform == enums.Platform.SINGLE_WINDOW))
            .order_by(Certificate.id).first())
    with s3_app.app_context():
        keys = {part: storage.put(weasyprint.HTML(string=f"<h1>{cert.number}</h1><p>{part}</p>").write_pdf(),
                                  "layouts", ".pdf")[0] for part in ("ORIGINAL", "COPY")}
    Certificate.update(layout_status=enums.LayoutStatus.RECEIVED, layout_original_path=keys["ORIGINAL"],
                       layout_copy_path=keys["COPY"]).where(Certificate.id == cert.id).execute()

    copy = client.get(f"/downloads/{cert.id}/copy")
    assert copy.status_code == 200 and copy.headers["Cache-Control"] == "no-store"
    assert copy.headers["Content-Disposition"].startswith("inline")
    assert "COPY" in PdfReader(io.BytesIO(copy.get_data())).pages[0].extract_text()
    first = operator.post(f"/downloads/{cert.id}/original", token_from="/downloads/")
    assert first.status_code == 200 and first.headers["Content-Disposition"].startswith("attachment")
    assert first.headers["Cache-Control"] == "no-store"
    assert "ORIGINAL" in PdfReader(io.BytesIO(first.get_data())).pages[0].extract_text()
    again = operator.post(f"/downloads/{cert.id}/original", token_from="/downloads/")
    assert again.status_code == 200 and again.get_data() == first.get_data()
    signed = DownloadRecord.get(DownloadRecord.original == True).file_path  # noqa: E712
    assert signed.startswith("originals/")
    with s3_app.app_context():
        assert storage.read(signed) == first.get_data()
        assert signed in {entry.key for entry in storage.list("originals/")}


def test_settings_name_a_wrong_backend():
    from coo import create_app
    with pytest.raises(RuntimeError, match="COO_STORAGE must be local or s3"):
        create_app("test", STORAGE_BACKEND="nfs")
    with pytest.raises(RuntimeError, match="COO_S3_BUCKET"):
        create_app("test", STORAGE_BACKEND="s3", S3_BUCKET="")


# --- Two web hosts, no shared folder ----------------------------------------------------------

class Host:
    """A gunicorn web process (test configuration) with its own, empty storage folder."""

    def __init__(self, env, folder: Path, name: str):
        self.folder = folder
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(folder.parent / f"{name}.log", "wb")
        self.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{self.port}", "--workers", "1",
             "--timeout", "60", "wsgi:app"],
            cwd=ROOT, env=dict(env, COO_STORAGE_PATH=str(folder)), stdout=self.log, stderr=subprocess.STDOUT)
        _wait_http(self.base + "/login", self.proc, f"gunicorn {name}")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


class Browser:
    """One user's cookie jar, used against either host (cookies do not depend on the port)."""

    def __init__(self):
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect())

    def get(self, url):
        try:
            with self.opener.open(url, timeout=60) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def post(self, url, data, headers=None):
        body = data if isinstance(data, bytes) else urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(url, data=body, headers=headers or {}, method="POST")
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def csrf(self, url):
        status, _, body = self.get(url)
        assert status == 200, (url, status)
        return re.search(rb'name="csrf_token" value="([^"]+)"', body).group(1).decode()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def two_hosts(s3_app, s3_server, s3_bucket, test_env, tmp_path):
    env = dict(os.environ, **test_env, COO_STORAGE="s3", COO_S3_ENDPOINT_URL=s3_server,
               COO_S3_BUCKET=s3_bucket, COO_S3_ACCESS_KEY_ID=S3_CREDENTIALS["S3_ACCESS_KEY_ID"],
               COO_S3_SECRET_ACCESS_KEY=S3_CREDENTIALS["S3_SECRET_ACCESS_KEY"], COO_S3_REGION="us-east-1",
               EXPORT_SYNC_LIMIT="5", EXPORT_PROGRESS_EVERY="3")
    hosts = []
    try:
        for name in ("web-a", "web-b"):
            folder = tmp_path / f"{name}-storage"
            folder.mkdir()
            hosts.append(Host(env, folder, name))
        yield env, hosts[0], hosts[1]
    finally:
        for host in hosts:
            host.stop()


def _files_under(folder: Path):
    return [p for p in folder.rglob("*") if p.is_file()]


@pytest.mark.slow
def test_a_copy_pdf_and_a_background_export_are_served_by_the_host_that_did_not_write_them(
        s3_app, two_hosts, demo, tmp_path):
    from coo.customs import signing
    from coo.services import demo_layouts
    from customs_helpers import HUADONG, enterprise, forget_demo_authorisations

    env, web_a, web_b = two_hosts
    # 华东 has a seal and a signature (their images in the bucket) authorised long ago.
    forget_demo_authorisations()
    with s3_app.app_context():
        demo_layouts.authorise(enterprise(HUADONG), receipt_at=datetime.datetime(2020, 1, 1))

    # Customs approves a certificate through host A: its layout job is enqueued.
    schema = json.loads((ROOT / "docs" / "certificate.schema.json").read_text(encoding="utf-8"))
    record = dict(schema["examples"][0], number="E263301500000077")
    from coo.customs import offices, visa
    record["certification"] = visa.certification_for(offices.find(record["issuing_office"]))
    body = json.dumps(record, ensure_ascii=False).encode()
    path = "/api/customs/v1/certificates"
    signed = signing.sign(s3_app.config["CUSTOMS_SHARED_KEY"], "POST", path, body)
    browser = Browser()
    status, _, answer = browser.post(web_a.base + path, body, {**signed, "Content-Type": "application/json"})
    assert status == 201, answer
    cert_id = json.loads(answer)["id"]

    # The legal person asks host A for 导出 of the whole list: more rows than EXPORT_SYNC_LIMIT.
    status, headers, _ = browser.post(web_a.base + "/login/card", {
        "card_number": "8800000000001", "pin": demo.DEMO_PIN, "csrf_token": browser.csrf(web_a.base + "/login")})
    assert status == 303, status
    status, headers, _ = browser.post(web_a.base + "/certificates/export",
                                      {"csrf_token": browser.csrf(web_a.base + "/certificates/")})
    assert status == 303, status
    task_id = int(re.search(r"/certificates/exports/(\d+)$", headers["Location"]).group(1))

    # A real worker, with a folder of its own too, renders the layout and writes the export.
    worker_folder = tmp_path / "worker-storage"
    worker_folder.mkdir()
    from coo.models import database
    database.close()
    result = subprocess.run(
        [str(BIN / "rq"), "worker", "--burst", "--worker-class", "jobs.worker.CooWorker",
         "--url", env["REDIS_URL"], "layouts", "exports"],
        cwd=ROOT, env=dict(env, COO_STORAGE_PATH=str(worker_folder)), capture_output=True, text=True,
        timeout=300)
    database.connect(reuse_if_open=True)
    assert result.returncode == 0, result.stderr[-3000:]

    cert = Certificate.get_by_id(cert_id)
    task = ExportTask.get_by_id(task_id)
    assert cert.layout_copy_path and task.file_path, (cert.layout_status, task.status, result.stderr[-2000:])
    with s3_app.app_context():
        stored_copy = storage.read(cert.layout_copy_path)
        stored_export = storage.read(task.file_path)

    # Host B never saw either file being written; it serves both from the bucket.
    status, headers, pdf = browser.get(f"{web_b.base}/printing/certificates/{cert_id}/copy.pdf?download=1")
    assert status == 200, pdf[:300]
    assert headers["Content-Type"] == "application/pdf" and headers["Content-Length"] == str(len(pdf))
    assert "attachment" in headers["Content-Disposition"]
    assert pdf == stored_copy
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert cert.number in text and "COPY" in text.upper()

    status, headers, xlsx = browser.get(f"{web_b.base}/certificates/exports/{task_id}/file")
    assert status == 200, xlsx[:300]
    assert headers["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert "attachment" in headers["Content-Disposition"] and headers["Content-Length"] == str(len(xlsx))
    assert xlsx == stored_export
    rows = list(load_workbook(io.BytesIO(xlsx)).active.iter_rows(values_only=True))
    assert rows[0][:2] == ("序号", "证书编号") and cert.number in [r[1] for r in rows[1:]]
    assert len(rows) - 1 == task.total > 5

    # No host kept a file of its own: everything is in the bucket.
    assert _files_under(web_a.folder) == [] and _files_under(web_b.folder) == []
    assert _files_under(worker_folder) == []
