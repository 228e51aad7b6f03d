"""证书下载 (the manual's 第六章): the 12 types with an electronic version, for certificates
declared through the single window; 副本预览/下载 and 下载正本.

What may be downloaded is `coo.services.rules` (one original per certificate: 下载正本 is refused
while an original is being printed or awaits 是/否 and after one was printed). Downloading the
original is like a confirmed print: it is recorded (who, when, from where),
下载状态 becomes 已下载 and customs archiving starts (`coo.services.archiving.create_archive_exchange`). The
original carries a PDF signature (`coo.signing`); the first signed file is kept and served again,
so every download of one certificate is the same document.
"""
from dataclasses import dataclass

from coo import enums, storage
from coo.clock import utcnow
from coo.db import locked, write_transaction
from coo.models import Certificate, CertificateType, DownloadRecord
from coo.services import audit, certificates, rules
from coo.services.access import View, certificate_or_404, visible_certificates
from coo.services.listquery import Choice, ListQuery, Text, parse_query

NOTICE = "温馨提示：请下载证书正本在通关环节使用，副本不应作为通关材料，存在被外方取消关税优惠的风险。"
NOTICE_ARCHIVE = ("打印状态为“已自助打印”的证书海关将自动归档，海关归档状态为已归档后，系统会将证书数据发送至"
                  "出口原产地证书核查系统，同时完成支持电子联网证书的数据传输，此时证书数据才可在外方被查询到。")
SINGLE_WINDOW_ONLY = "使用单一窗口申请的证书才能使用该功能"
NOT_FOUND = "证书 {number} 不存在或不属于当前企业。"


class Refused(Exception):
    """A download the rules do not allow; the message says why, in the user's words."""


def e_download_types():
    return [t for t in certificates.certificate_types() if t.e_download]


def downloadable(view: View, query=None):
    """The certificates of this page: visible, of the 12 types, declared through the single window.
    `query` must join CertificateType (by default: the certificates with their type)."""
    if query is None:
        query = Certificate.select().join(CertificateType, on=(Certificate.cert_type == CertificateType.code))
    return visible_certificates(view, query).where(rules.download_page_condition())


# --- Query and list ---------------------------------------------------------------------------

def type_choices():
    """证书类别 choices of this page: the 12 types with an electronic version."""
    return [(t.code, f"{t.code} {t.name_zh}") for t in e_download_types()]


FIELDS = (
    *certificates.fields("number", "invoice"),
    Choice("type", "证书类别", column=Certificate.cert_type, choices_of=type_choices),
    *certificates.fields("applicant", "exporter"),
    Choice("download_status", "下载状态", column=Certificate.download_status, enum=enums.DownloadStatus,
           radio=True, condition_of=rules.download_status_condition),
    *certificates.fields("issued", "archive"),
    Text("creator", "创建人", column=Certificate.creator, match="contains", max_length=64),
)
def parse(args) -> ListQuery:
    """The 查询区 of this page (the shared one: `coo.services.listquery`)."""
    return parse_query(args, FIELDS, (), "")


def listing(view: View, q: ListQuery):
    query = q.filter(downloadable(view, certificates.rows_query(certificates.WHOLE_ROWS)))
    return query.order_by(Certificate.issue_date.desc(), Certificate.id.desc())


def explain(view: View, number: str) -> str:
    """A number typed in the query that is not in the list: why (the rules' words)."""
    cert = visible_certificates(view).where(Certificate.number == number).first()
    if cert is None:
        return NOT_FOUND.format(number=number)
    refused = rules.check(cert, view, rules.Action.DOWNLOAD_COPY)
    return refused.message if refused else ""


@dataclass(frozen=True)
class RowActions:
    copy: rules.Reason | None        # why 副本预览/下载 is refused, or None
    original: rules.Reason | None    # why 下载正本 is refused, or None


def row_actions(view: View, certs) -> dict[int, RowActions]:
    """For the page's rows, from one context (no query per row)."""
    ctx = rules.context(view, certs)
    return {cert.id: RowActions(rules.check(cert, ctx, rules.Action.DOWNLOAD_COPY),
                                rules.check(cert, ctx, rules.Action.DOWNLOAD_ORIGINAL))
            for cert in certs}


def print_download_status(cert: Certificate) -> enums.PrintDownloadStatus:
    if cert.print_status == enums.PrintStatus.PRINTED:
        return enums.PrintDownloadStatus.SELF_PRINTED
    if cert.download_status == enums.DownloadStatus.DOWNLOADED:
        return enums.PrintDownloadStatus.DOWNLOADED
    return enums.PrintDownloadStatus.PENDING


# --- The files --------------------------------------------------------------------------------

def filename(cert: Certificate, original: bool) -> str:
    return f"{cert.number}-{'original' if original else 'copy'}.pdf"


def copy(view: View, certificate_id, who: str, remote_addr: str = "", download: bool = False) -> tuple[Certificate, str]:
    """副本预览/下载: the copy as rendered (its storage key); nothing changes but the record of
    who fetched it."""
    cert = certificate_or_404(view, certificate_id)
    refused = rules.check(cert, view, rules.Action.DOWNLOAD_COPY)
    if refused:
        raise Refused(refused.message)
    if download:
        DownloadRecord.create(certificate=cert, enterprise=view.own, who=who, original=False,
                              remote_addr=remote_addr, file_path=cert.layout_copy_path)
        audit.record("download_copy", cert.number)
    return cert, cert.layout_copy_path


def _signed_original(cert: Certificate) -> str:
    """The storage path of the signed original: the first one made, or a new one."""
    first = (DownloadRecord.select(DownloadRecord.file_path)
             .where((DownloadRecord.certificate == cert) & DownloadRecord.original
                    & (DownloadRecord.file_path != ""))
             .order_by(DownloadRecord.id).first())
    if first is not None:
        return first.file_path
    # Imported here: pyHanko and its crypto stack weigh ~45 MiB in every process that loads
    # them; only the process that signs an original needs them.
    from coo import signing
    signed = signing.sign_pdf(storage.read(cert.layout_original_path),
                              reason=f"原产地证书正本 {cert.number}（{cert.issuing_office}签发）",
                              location="中国")
    return storage.put(signed, "originals", ".pdf")[0]


def _refuse_original(cert, view):
    refused = rules.check(cert, view, rules.Action.DOWNLOAD_ORIGINAL)
    if refused:
        raise Refused(refused.message)


def download_original(view: View, certificate_id, who: str, remote_addr: str = "") -> tuple[Certificate, str]:
    """下载正本: record it, mark 已下载 and start archiving (once), and return the storage key
    of the signed PDF."""
    from coo.services.archiving import create_archive_exchange
    from coo.services.exchanges import start
    cert = certificate_or_404(view, certificate_id)
    _refuse_original(cert, view)
    path = _signed_original(cert)      # signing is slow-ish: outside the transaction
    exchange = None
    with write_transaction():
        cert = locked(Certificate.select().where(Certificate.id == cert.id)).get()
        _refuse_original(cert, view)    # asked again: a print may have started meanwhile
        path = _signed_original(cert) if cert.download_status == enums.DownloadStatus.DOWNLOADED else path
        DownloadRecord.create(certificate=cert, enterprise=view.own, who=who, original=True,
                              remote_addr=remote_addr, file_path=path)
        first = (Certificate.update(download_status=enums.DownloadStatus.DOWNLOADED, updated_at=utcnow())
                 .where((Certificate.id == cert.id)
                        & (Certificate.download_status == enums.DownloadStatus.PENDING))
                 .execute())
        if first:
            exchange = create_archive_exchange(Certificate.get_by_id(cert.id),
                                               downloaded_at=utcnow().isoformat(timespec="seconds"))
        audit.record("download_original", cert.number, "首次下载正本，已申请海关归档" if first else "再次下载正本")
    if exchange is not None:
        start(exchange)        # after the commit, like a confirmed print
    return cert, path
