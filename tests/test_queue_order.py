"""Customs never waits behind rendering: with layout jobs queued first, the Procfile's workers
(the ones `make run` and production start) take the archive exchange before any layout, and a
worker of its own serves customs alone."""
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from rq.job import Job

from coo import queue
from coo.models import Certificate, database
from coo.services import archiving, exchanges, layouts

from printing_support import printable

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def procfile_worker(name: str):
    """The Procfile's `name:` rq worker command, as a burst run (without the supervisor, which
    would start a burst worker again when it ends)."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        match = re.match(rf"^{name}:\s*(.+)$", line)
        if match:
            words = shlex.split(match.group(1))
            start = words.index("rq")
            return words[start:start + 2] + ["--burst"] + words[start + 2:]
    raise AssertionError(f"no {name}: in the Procfile")


def run(words, env):
    bindir = Path(os.sys.executable).parent
    words = [str(bindir / words[0])] + [env["REDIS_URL"] if w == "${REDIS_URL}" else w for w in words[1:]]
    database.close()
    result = subprocess.run(words, env=dict(os.environ, **env), cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    database.connect(reuse_if_open=True)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def layout_backlog(app, count, queue_name="layouts"):
    ids = [c.id for c in Certificate.select(Certificate.id).order_by(Certificate.id).limit(count)]
    with app.app_context():
        for cert_id in ids:
            layouts.enqueue_render(cert_id, queue_name)
    return [layouts.job_id(i) for i in ids]


def archive_request(app, cert):
    with app.app_context():
        with database.atomic():
            exchange = archiving.create_archive_exchange(cert, printed_at="2026-12-01T10:00:00", print_count=1)
        exchanges.start(exchange)
    return f"exchange-{exchange.id}"


def test_the_procfile_worker_takes_customs_before_a_layout_backlog(app, demo, test_env):
    cert, = printable(app)
    backlog = layout_backlog(app, 6)
    archive = archive_request(app, cert)       # queued after the layouts
    run(procfile_worker("worker"), test_env)
    with app.app_context():
        conn = queue.redis()
        customs_job = Job.fetch(archive, connection=conn)
        layout_jobs = [Job.fetch(j, connection=conn) for j in backlog]
    assert customs_job.ended_at is not None
    assert all(job.started_at is not None for job in layout_jobs)
    assert customs_job.ended_at <= min(job.started_at for job in layout_jobs)


def test_customs_has_a_worker_of_its_own(app, demo, test_env):
    cert, = printable(app)
    backlog = layout_backlog(app, 5)
    archive = archive_request(app, cert)
    run(procfile_worker("customs"), test_env)
    with app.app_context():
        conn = queue.redis()
        assert Job.fetch(archive, connection=conn).ended_at is not None
        assert queue.queue("layouts").count == len(backlog)       # rendering is left to the others


def test_a_new_approvals_layout_does_not_wait_behind_the_bulk_layouts(app, demo, test_env):
    """The demo seed and a new 授权's re-renders queue their layouts as bulk (test_layouts checks
    that): a certificate customs approves meanwhile is rendered first, so the user can print it."""
    backlog = layout_backlog(app, 5, queue.BULK_LAYOUTS)
    newest = Certificate.select().order_by(Certificate.id.desc()).first()
    with app.app_context():
        layouts.enqueue_render(newest.id)            # the queue of intake's new approvals
    run(procfile_worker("worker"), test_env)
    with app.app_context():
        conn = queue.redis()
        new = Job.fetch(layouts.job_id(newest.id), connection=conn)
        bulk = [Job.fetch(j, connection=conn) for j in backlog]
    assert new.origin == "layouts" and {job.origin for job in bulk} == {"layouts_bulk"}
    assert new.ended_at <= min(job.started_at for job in bulk)
