"""`first_page_gzip_kb`: what a first visit costs on the wire: the login page, then the home page
after login, with every asset they link (CSS, JS), each gzip-compressed (level 6, as a typical
reverse proxy sends them). Goal <= 30 KiB."""
import gzip
import re

from bench.support import line, make_app, prepare, tmp_sqlite

ASSET = re.compile(r'(?:href|src)="(/static/[^"]+)"')


def main():
    url = tmp_sqlite("gzip.sqlite3")
    prepare(url, 0)
    app = make_app(url)
    client = app.test_client()
    sizes, assets = {}, set()

    def take(path, response):
        body = response.get_data()
        sizes[path] = len(gzip.compress(body, compresslevel=6))
        assets.update(ASSET.findall(body.decode("utf-8", "replace")))

    login = client.get("/login")
    take("/login", login)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login.get_data(as_text=True)).group(1)
    response = client.post("/login/password", data={"username": "hd_op", "password": "Demo@2026",
                                                    "csrf_token": token})
    assert response.status_code == 303, response.status_code
    home = client.get("/home")
    assert home.status_code == 200
    take("/home", home)
    for path in sorted(assets):
        response = client.get(path)
        take(path, response)
        response.close()
    for path, size in sizes.items():
        print(f"# {path}: {size / 1024:.1f} KiB gzip", flush=True)
    line("first_page_gzip_kb", f"{sum(sizes.values()) / 1024:.1f}", "KiB")
