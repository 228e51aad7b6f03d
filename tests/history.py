"""A fixture for the tests of 打印异常申请 and 证书下载: `from tests.history import undo_demo_history`."""
import pytest

from coo import enums


@pytest.fixture(autouse=True)
def undo_demo_history(demo):
    """Each test starts from certificates nobody printed, applied for or downloaded yet (the demo
    seeds a little of each, shown by `test_demo_*`)."""
    from coo.models import Certificate, DownloadRecord, ExceptionApplication, PrintJob
    ExceptionApplication.delete().execute()
    PrintJob.delete().execute()
    DownloadRecord.delete().execute()
    Certificate.update(print_status=enums.PrintStatus.PENDING, print_count=0, exception_reprints=0,
                       reprint_allowed=False, download_status=enums.DownloadStatus.PENDING,
                       archive_status=enums.ArchiveStatus.UNARCHIVED, archived_at=None,
                       verification_published_at=None).execute()
