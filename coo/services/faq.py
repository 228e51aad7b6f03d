"""常见问题及解答 as a PDF, rendered from templates/docs/faq.html with WeasyPrint.

Rendered once per process and version (the source is in the repo); it fetches nothing."""
import hashlib

from flask import render_template

_cache: dict[str, bytes] = {}


def _no_fetch(url, *args, **kwargs):
    raise ValueError(f"the FAQ fetches no resources: {url}")


def faq_pdf(version: str) -> bytes:
    html = render_template("docs/faq.html", version=version)
    key = hashlib.sha256(html.encode()).hexdigest()
    if key not in _cache:
        import weasyprint
        _cache.clear()
        _cache[key] = weasyprint.HTML(string=html, url_fetcher=_no_fetch).write_pdf()
    return _cache[key]
