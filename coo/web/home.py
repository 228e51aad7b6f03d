"""使用说明 (home after login) and 版本说明 (the release notes)."""
from flask import Blueprint
from flask_login import login_required

from coo.web import read_changelog
from coo.web.htmx import render
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
