"""使用说明, 常见问题及解答 (PDF), 版本说明."""
import io

from pypdf import PdfReader


def test_home_shows_the_rules_and_the_faq_download(client, operator):
    html = client.get("/home").get_data(as_text=True)
    assert "请企业操作人员认真阅读、执行" in html and "不要使用手机拍照" in html
    assert "下载常见问题及解答" in html


def test_faq_pdf_opens_and_covers_the_topics(client, operator):
    response = client.get("/faq.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    for topic in ("打印控件", "查不到", "授权结果", "打印异常申请", "已归档", "核查"):
        assert topic in text, topic


def test_faq_needs_a_login(client):
    assert client.get("/faq.pdf").status_code == 302


def test_changelog_shows_releases_newest_first(client, operator):
    from coo.services.changelog import releases
    text = "## 1.1\n### 新增\n- 第二版\n## 1.0\n- 第一版\n"
    parsed = releases(text)
    assert [r.title for r in parsed] == ["1.1", "1.0"]
    assert parsed[0].sections == [("新增", ["第二版"])]
    html = client.get("/changelog").get_data(as_text=True)
    assert html.index("1.1.0（2026-12-01）") < html.index("1.0.1（2026-11-27）") < html.index("1.0.0（2026-11-26）")


def test_release_notes_are_versions_with_dates_in_plain_chinese():
    """版本说明 is for users: each release a version and its date, newest first, and none of the
    developers' words (commands, services, code) that users cannot act on."""
    import datetime
    import re
    from pathlib import Path
    from coo.services.changelog import releases
    parsed = releases((Path(__file__).resolve().parent.parent / "CHANGELOG.md").read_text(encoding="utf-8"))
    dates = []
    for release in parsed:
        match = re.fullmatch(r"(\d+\.\d+\.\d+)（(\d{4}-\d{2}-\d{2})）", release.title)
        assert match, f"release title {release.title!r} is not 'X.Y.Z（YYYY-MM-DD）'"
        dates.append(datetime.date.fromisoformat(match.group(2)))
        items = [item for _, section in release.sections for item in section]
        assert items, release.title
        for item in items:
            for word in ("`", "Redis", "模拟器", "import-certificates", "healthz", "pytest", "RQ ", "未发布"):
                assert word not in item, f"{release.title}: {word!r} in {item[:40]}…"
    assert dates == sorted(dates, reverse=True) and len(set(dates)) == len(dates)
