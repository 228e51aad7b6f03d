"""The worker class of `rq worker -w jobs.worker.CooWorker`: the app (config, templates, fonts)
is built once in the parent, so every forked job starts warm."""
from rq.worker import Worker

import jobs


class CooWorker(Worker):
    def __init__(self, *args, **kwargs):
        jobs.app()
        super().__init__(*args, **kwargs)
