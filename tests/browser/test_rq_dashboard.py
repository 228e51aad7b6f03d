"""Ops watch the queues: /ops/rq/ (rq-dashboard) in Chromium under our CSP shows the queue names
and the running worker (its underscore.js tables need 'unsafe-eval', allowed on its own pages
only). The journey fixture fails the test on any CSP refusal or script error in the console."""
import time

import pytest
from playwright.sync_api import expect
from rq import Worker

from coo import queue
from coo.queue import QUEUES

from .test_login_journeys import password_login

pytestmark = pytest.mark.browser


def _registered_worker(app, proc, timeout=60):
    with app.app_context():
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read().decode()
            workers = Worker.all(connection=queue.redis())
            if workers:
                return workers[0].name
            time.sleep(0.2)
    raise AssertionError("the rq worker did not register")


def test_ops_see_the_queues_and_the_worker_in_the_rq_dashboard(app, journey, demo, rq_worker):
    with app.app_context():      # one job per queue: RQ lists a queue once something was put on it
        for name in QUEUES:
            queue.enqueue("jobs.maintenance.ping", f"dashboard-{name}", job_id=f"ping-dashboard-{name}",
                          queue_name=name)
    worker_name = _registered_worker(app, rq_worker)
    page = journey.page
    password_login(journey, "ops", demo.OPS_PASSWORD)
    expect(page.get_by_role("heading", name="运维")).to_be_visible()
    page.get_by_role("link", name="任务队列（RQ dashboard）").click()
    expect(page).to_have_url(journey.base_url + "/ops/rq/")
    queues = page.locator("table#queues")
    expect(queues).not_to_contain_text("Loading...")
    for name in QUEUES:
        expect(queues.get_by_role("cell", name=name, exact=True)).to_be_visible()
    journey.shot("任务队列")
    journey.go("/ops/rq/0/view/workers")
    workers = page.locator("table#workers")
    expect(workers).not_to_contain_text("Loading...")
    expect(workers).to_contain_text(worker_name)
    for name in QUEUES:
        expect(workers).to_contain_text(name)
    journey.shot("后台进程")
    journey.go("/ops/rq/0/view/jobs/default/finished/8/asc/1")     # the jobs the worker ran
    expect(page.locator("table#jobs")).to_contain_text("ping-dashboard-default")
    journey.shot("已完成的任务")


def test_the_relaxed_policy_is_the_dashboards_alone(app, journey, demo):
    """Our own pages keep the strict CSP: no 'unsafe-eval', no 'unsafe-inline'."""
    page = journey.page
    password_login(journey, "ops", demo.OPS_PASSWORD)
    expect(page.get_by_role("heading", name="运维")).to_be_visible()
    ours = journey.go("/ops/audit").headers["content-security-policy"]
    assert "unsafe-eval" not in ours and "unsafe-inline" not in ours
    dashboard = journey.go("/ops/rq/").headers["content-security-policy"]
    assert "'unsafe-eval'" in dashboard
