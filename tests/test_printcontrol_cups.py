"""The print control's CUPS backend against a real CUPS server with the cups-pdf virtual printer:
duplex + colour options, waits for completion, and the printed file has the pages expected."""
import os
import pwd
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from pypdf import PdfReader

from coo.printcontrol.backends import CupsBackend, PrintError

from printing_support import layout_pdf

PRINTER = "COO-PDF-TEST"
PPD = "/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd"
pytestmark = pytest.mark.slow


def _scheduler_running():
    result = subprocess.run(["lpstat", "-r"], capture_output=True, text=True, env=dict(os.environ, LC_ALL="C"))
    return "is running" in result.stdout and "not running" not in result.stdout


@pytest.fixture(scope="module")
def cups_printer():
    """cupsd (started here when it is not running, as root) with a cups-pdf printer."""
    if not (shutil.which("cupsd") and shutil.which("lpadmin") and Path(PPD).exists()):
        pytest.skip("needs Debian's cups and printer-driver-cups-pdf (.ci/system-packages test)")
    if os.geteuid() != 0 and not _scheduler_running():
        pytest.skip("cupsd is not running and only root can start it")
    started = None
    if not _scheduler_running():
        started = subprocess.Popen(["cupsd", "-f"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if _scheduler_running():
                break
            time.sleep(0.1)
    subprocess.run(["lpadmin", "-p", PRINTER, "-v", "cups-pdf:/", "-E", "-P", PPD],
                   check=True, capture_output=True)
    yield PRINTER
    subprocess.run(["lpadmin", "-x", PRINTER], capture_output=True)
    if started is not None:
        started.terminate()
        started.wait(timeout=30)


def output_folder() -> Path:
    """cups-pdf writes to ${HOME}/PDF of the submitting user (`Out` in /etc/cups/cups-pdf.conf)."""
    return Path(pwd.getpwuid(os.getuid()).pw_dir) / "PDF"


def test_cups_backend_lists_the_printer_and_prints_duplex_colour(cups_printer, tmp_path):
    backend = CupsBackend(cups_printer, timeout_s=120)
    assert cups_printer in backend.printers()
    assert "sides=two-sided-long-edge" in backend.OPTIONS and "ColorModel=RGB" in backend.OPTIONS

    source = tmp_path / "original.pdf"
    source.write_bytes(layout_pdf("E261234567890123", "original", pages=2))
    title = f"coo-test-{uuid.uuid4().hex[:8]}"
    message = backend.print_pdf(source, title)
    assert cups_printer in message and "打印完成" in message

    # The job has completed; cups-pdf may still be moving the file into place.
    deadline = time.monotonic() + 60
    found = []
    while not found and time.monotonic() < deadline:
        found = sorted(output_folder().glob(f"{title}*.pdf"))
        time.sleep(0.2)
    assert found, f"no {title}*.pdf in {output_folder()}"
    reader = PdfReader(found[0])
    # cups-pdf re-renders through Ghostscript (text is re-encoded): pages and their size are what hold.
    assert len(reader.pages) == 2
    assert [round(float(v)) for v in reader.pages[1].mediabox[2:]] == [595, 842]      # A4
    for path in found:
        path.unlink()


def test_an_unknown_printer_is_a_failure_with_the_printers_message(cups_printer, tmp_path):
    source = tmp_path / "copy.pdf"
    source.write_bytes(layout_pdf("E261234567890123", "copy", pages=1))
    with pytest.raises(PrintError) as failure:
        CupsBackend("NO-SUCH-PRINTER").print_pdf(source, "coo-test-missing")
    assert "NO-SUCH-PRINTER" in str(failure.value) or "does not exist" in str(failure.value)
