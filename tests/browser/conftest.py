"""Browser journeys: Debian's Chromium driven by Playwright for Python (never a downloaded
browser), against the app served by a real threaded HTTP server in this process and a real RQ
worker subprocess. Every step is a screenshot under test-artifacts/browser/<journey>/.
"""
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[2]

# Short waits for journeys: the countdown and the simulator answer at once in the browser tests.
BROWSER_CONFIG = {"AUTH_RESULT_DELAY_S": 3, "SIMULATOR_RECEIPT_DELAY_S": 0, "SIMULATOR_ARCHIVE_DELAY_S": 0,
                  "SIMULATOR_FAILURE_RATE": 0.0}


@pytest.fixture(scope="session")
def live_server(_app):
    """The app on a real socket (threaded, like a production server's concurrency)."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)   # no access log per request
    saved = {k: _app.config.get(k) for k in BROWSER_CONFIG}
    _app.config.update(BROWSER_CONFIG)
    server = make_server("127.0.0.1", 0, _app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    _app.config.update(saved)


@pytest.fixture
def rq_worker(app, test_env):
    """A real `rq worker` process (as the Procfile starts it) for the length of one journey."""
    from coo.models import database
    database.close()
    env = dict(os.environ, **test_env, **{k: str(v) for k, v in BROWSER_CONFIG.items()})
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "rq"), "worker", "--with-scheduler", "--worker-class",
         "jobs.worker.CooWorker", "--url", test_env["REDIS_URL"], "customs", "default", "layouts", "exports", "layouts_bulk"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    database.connect(reuse_if_open=True)
    yield proc
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    proc.stderr.close()


@pytest.fixture(scope="module")
def browser():
    """Per module: Playwright's sync API keeps an asyncio loop running in this thread while it is
    open, and code under test that calls asyncio.run() (pyHanko's signing) must not see it."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (.ci/system-packages test)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Journey:
    """One journey's page and its numbered screenshots (NN-step.png)."""

    def __init__(self, page, folder: Path, base_url: str):
        self.page = page
        self.folder = folder
        self.base_url = base_url
        self.step = 0
        self.console_errors = []
        # Console errors (CSP refusals, script errors); Chromium also logs every 4xx response
        # as "Failed to load resource", which a 422 form answer is meant to be.
        page.on("console", lambda m: m.type == "error" and not m.text.startswith("Failed to load resource")
                and self.console_errors.append(m.text))
        page.on("response", lambda r: r.status >= 500 and self.console_errors.append(f"{r.status} {r.url}"))
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))

    def go(self, path):
        return self.page.goto(self.base_url + path)

    def shot(self, name: str):
        self.step += 1
        slug = re.sub(r"[^\w\u4e00-\u9fff-]+", "-", name).strip("-")
        path = self.folder / f"{self.step:02d}-{slug}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


def _journey(request, browser, live_server, artifacts, javascript: bool):
    name = request.node.name.removeprefix("test_").replace("[", "-").rstrip("]")
    folder = artifacts / "browser" / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    context = browser.new_context(java_script_enabled=javascript, locale="zh-CN",
                                  viewport={"width": 1280, "height": 800}, accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    journey = Journey(page, folder, live_server)
    yield journey
    context.close()
    if javascript:
        # CSP forbids inline script and style: a violation shows as a console error.
        assert not journey.console_errors, journey.console_errors


@pytest.fixture
def journey(request, app, browser, live_server, artifacts):
    yield from _journey(request, browser, live_server, artifacts, javascript=True)


@pytest.fixture
def journey_nojs(request, app, browser, live_server, artifacts):
    yield from _journey(request, browser, live_server, artifacts, javascript=False)
