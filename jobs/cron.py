"""Periodic jobs, run by `rq cron jobs/cron.py` (RQ's cron scheduler; one per deployment is
enough, and a second one is harmless because every periodic job is idempotent)."""
import os

from rq import cron

from jobs import maintenance

SWEEP_INTERVAL_S = int(os.environ.get("SWEEP_INTERVAL_S", 60))

cron.register(maintenance.sweep, queue_name="default", interval=SWEEP_INTERVAL_S)
cron.register(maintenance.remove_unsaved_uploads, queue_name="default", interval=3600)
