"""使用说明 (home after login) and 版本说明 (the release notes)."""
from flask import Blueprint, Response
from flask_login import login_required

from coo.web import read_changelog
from coo.web.htmx import render
from coo.services import faq as faq_service
from coo.services.changelog import releases

bp = Blueprint("home", __name__)


@bp.get("/home")
@login_required
def index():
    return render("home/index.html")


@bp.get("/changelog")
@login_required
def changelog():
    return render("home/changelog.html", releases=releases(read_changelog()))


@bp.get("/faq.pdf")
@login_required
def faq():
    """常见问题及解答 (a download, as the manual's 第七章 shows)."""
    latest = releases(read_changelog())
    pdf = faq_service.faq_pdf(latest[0].title if latest else "")
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": "attachment; filename*=UTF-8''%E5%B8%B8%E8%A7%81%E9%97%AE%E9%A2%98%E5%8F%8A%E8%A7%A3%E7%AD%94.pdf"})
