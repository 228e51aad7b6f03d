"""Small jobs of the platform itself."""
from jobs import with_app


@with_app
def ping(marker: str):
    """Proves a worker runs jobs in the app: records an audit event named after `marker`."""
    from coo.services import audit
    audit.record("worker_ping", target=marker, actor="worker")
    return marker


@with_app
def sweep():
    """Re-enqueue what a lost job left behind (worker killed, Redis flushed). See
    `coo.services.sweep`: the rows say what is still to do."""
    from coo.services import sweep as sweeping
    return sweeping.run()


@with_app
def remove_unsaved_uploads():
    """Hourly: seal and signature scans uploaded for a preview and never saved."""
    from coo.services import seals
    return seals.remove_unsaved_uploads()
