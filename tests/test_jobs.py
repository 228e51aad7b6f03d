"""Jobs go through coo.queue, run on a real RQ worker over the real Redis, and a repeated
enqueue of the same work is a no-op."""
from coo import queue
from coo.models import AuditEvent


def _pings(marker):
    return AuditEvent.select().where((AuditEvent.action == "worker_ping") & (AuditEvent.target == marker)).count()


def test_a_worker_process_runs_an_enqueued_job(app, worker):
    with app.app_context():
        job = queue.enqueue("jobs.maintenance.ping", "first", job_id="ping-first")
    assert job is not None
    result = worker.subprocess_burst(queues=("default",))
    assert result.returncode == 0, result.stderr
    assert _pings("first") == 1


def test_the_same_job_enqueued_twice_runs_once(app, worker):
    with app.app_context():
        assert queue.enqueue("jobs.maintenance.ping", "twice", job_id="ping-twice") is not None
        assert queue.enqueue("jobs.maintenance.ping", "twice", job_id="ping-twice") is None
    worker.burst(queues=("default",))
    assert _pings("twice") == 1


def test_a_finished_job_can_be_asked_for_again(app, worker):
    with app.app_context():
        queue.enqueue("jobs.maintenance.ping", "again", job_id="ping-again")
    worker.burst(queues=("default",))
    with app.app_context():
        assert queue.enqueue("jobs.maintenance.ping", "again", job_id="ping-again") is not None
    worker.burst(queues=("default",))
    assert _pings("again") == 2


def test_ops_sees_the_queued_job_in_the_dashboard(app, client, ops):
    with app.app_context():
        queue.enqueue("jobs.maintenance.ping", "visible", job_id="ping-visible")
    data = client.get("/ops/rq/0/data/jobs/default/queued/8/asc/1.json").get_json()
    assert any(j["id"] == "ping-visible" for j in data["jobs"])


def test_operator_gets_404_for_dashboard_data(app, client, operator):
    assert client.get("/ops/rq/0/data/queues.json").status_code == 404
