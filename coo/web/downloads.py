"""证书下载: the 12 electronic types, single-window certificates; 副本预览/下载 and 下载正本."""
from urllib.parse import quote

from flask import Blueprint, Response, abort, request, session, url_for
from flask_login import current_user

from coo.services import downloads as service
from coo.services.access import current_view
from coo.services.accounts import client_addr, enterprise_required
from coo.services.paging import paginate
from coo.web.htmx import render, see_other, wants_fragment

bp = Blueprint("downloads", __name__, url_prefix="/downloads")

TIP_SEEN = "download_tip_seen"


@bp.get("/")
@enterprise_required
def index():
    view = current_view()
    q = service.parse(request.args)
    page = notice = None
    if q.ok:
        page = paginate(service.listing(view, q), q.page)
        if q.value("number") and page.total == 0:
            notice = service.explain(view, q.value("number"))
    return render("downloads/index.html", "results", status=200 if q.ok else 422, q=q, page=page,
                  notice=notice, query_args=q.args(page=None),
                  actions=service.row_actions(view, page.items) if page else {},
                  show_tip=not session.get(TIP_SEEN) or request.args.get("tip") == "1",
                  **_context())


def _context():
    return {"types": service.e_download_types(), "notice_text": service.NOTICE,
            "notice_archive": service.NOTICE_ARCHIVE, "single_window_only": service.SINGLE_WINDOW_ONLY,
            "pd_status": service.print_download_status}


@bp.post("/tip")
@enterprise_required
def tip_seen():
    """已知悉: the 提示 dialog stays closed for this session."""
    session[TIP_SEEN] = True
    if wants_fragment():
        return Response("", 200)
    return see_other(url_for("downloads.index"))


def _pdf(data: bytes, name: str, attachment: bool):
    disposition = "attachment" if attachment else "inline"
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name)}",
        "Cache-Control": "no-store"})


@bp.get("/<int:certificate_id>/copy")
@enterprise_required
def copy(certificate_id):
    """副本预览/下载 (?download=1 saves it)."""
    download = request.args.get("download") == "1"
    try:
        cert, data = service.copy(current_view(), certificate_id, current_user.display_name,
                                  client_addr(), download=download)
    except service.Refused as refused:
        abort(422, str(refused))
    return _pdf(data, service.filename(cert, original=False), attachment=download)


@bp.post("/<int:certificate_id>/original")
@enterprise_required
def original(certificate_id):
    """下载正本: a plain form POST (it changes state), answered with the signed PDF."""
    try:
        cert, data = service.download_original(current_view(), certificate_id,
                                               current_user.display_name, client_addr())
    except service.Refused as refused:
        abort(422, str(refused))
    return _pdf(data, service.filename(cert, original=True), attachment=True)
