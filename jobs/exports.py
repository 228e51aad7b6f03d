"""导出 Excel in the background (queue `exports`): one job per `ExportTask` row."""
from jobs import with_app


@with_app
def run_export(task_id: int):
    """Write the task's .xlsx, recording progress in the row; a no-op unless the row still
    waits or runs (a retried or repeated job starts the file over, never twice at the end)."""
    from coo.services import exports
    return exports.run(task_id)
