"""Read digital-seal texts back from what an officer has: a scan (PNG/JPEG), a PDF (rasterised
at 300 dpi with pdftoppm, as a scanner would), or the text itself. QR decoding is zbarimg's."""
import shutil
import subprocess
import tempfile
from pathlib import Path

from coo.proof.qr import PREFIX


def _zbar(image: Path) -> list[str]:
    exe = shutil.which("zbarimg")
    if not exe:
        raise RuntimeError("zbarimg is not installed (Debian: zbar-tools)")
    out = subprocess.run([exe, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(image)],
                         capture_output=True, text=True, timeout=60)
    # one symbol per line; base45 has the space among its digits, so lines are not stripped
    return [line for line in out.stdout.splitlines() if line.startswith(PREFIX)]


def seal_texts(source: str) -> list[str]:
    if source.startswith(PREFIX):
        return [source.strip("\r\n")]
    path = Path(source)
    head = path.read_bytes()[:5]
    if head == b"%PDF-":
        exe = shutil.which("pdftoppm")
        if not exe:
            raise RuntimeError("pdftoppm is not installed (Debian: poppler-utils)")
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([exe, "-r", "300", "-png", str(path), f"{tmp}/page"], check=True, timeout=120)
            found = []
            for page in sorted(Path(tmp).glob("page*.png")):
                found += [t for t in _zbar(page) if t not in found]
            return found
    if head.startswith(PREFIX.encode()):
        return [path.read_text(encoding="ascii").strip("\r\n")]
    return _zbar(path)
