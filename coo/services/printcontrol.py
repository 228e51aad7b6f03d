"""The print control (打印控件) as the server sees it: pairing, its status, its token, and the
program users download (the zipapp, the Windows executable).

The rules, one place each:
- a control belongs to the enterprise of the user who paired it (an agent prints on its own PC);
  its token is stored as a digest and can be revoked on the 打印控件 page;
- a print button first asks `control_status`: 未安装 / 未启动 / 版本过低 stop it with the manual's hint.

Print jobs and 是/否 are `coo.services.printjobs`; the archive request `coo.services.archiving`.
"""
import datetime
import functools
import io
import json
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from coo import enums
from coo.clock import utcnow
from coo.db import write_transaction
from coo.models import PrintControl, database
from coo.params import parse_int
from coo.security import new_token, token_digest
from coo.services import audit

PAIRING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

# The manual's hints (4.4: 未安装、版本过低或未启动打印控件会给出提示).
HINTS = {
    enums.PrintControlState.NOT_INSTALLED:
        "本企业尚未安装打印控件（未安装）。请点击“执行安装”下载并安装打印控件，与本企业配对后根据提示刷新界面或重新登录。",
    enums.PrintControlState.NOT_RUNNING:
        "打印控件未启动。如已安装打印控件，请在桌面双击打印控件快捷方式重新启动打印控件；如未安装，请点击“执行安装”。",
    enums.PrintControlState.OUTDATED:
        "打印控件版本过低，请点击“执行安装”下载最新版本的打印控件。",
}


# --- versions and control status --------------------------------------------------------------

def parse_version(text: str) -> tuple:
    parts = []
    for piece in (text or "").strip().split("."):
        digits = "".join(ch for ch in piece if ch in "0123456789")   # not isdigit(): '²'
        parts.append(parse_int(digits[:9]) or 0)
    return tuple(parts) or (0,)


def is_outdated(version: str) -> bool:
    return parse_version(version) < parse_version(current_app.config["PRINT_CONTROL_MIN_VERSION"])


@dataclass


class ControlStatus:
    state: enums.PrintControlState
    control: PrintControl | None = None
    min_version: str = ""

    @property
    def ready(self):
        return self.state == enums.PrintControlState.READY

    @property
    def hint(self):
        return HINTS.get(self.state, "")


def paired_controls(enterprise):
    return (PrintControl.select()
            .where((PrintControl.enterprise == enterprise) & PrintControl.token_hash.is_null(False)
                   & PrintControl.revoked_at.is_null())
            .order_by(PrintControl.last_heartbeat_at.desc(nulls="LAST"), PrintControl.id.desc()))


def control_status(enterprise) -> ControlStatus:
    """未安装 = never paired (or every pairing revoked); 未启动 = no heartbeat for
    PRINT_CONTROL_HEARTBEAT_S; 版本过低 = the running control is below PRINT_CONTROL_MIN_VERSION."""
    min_version = current_app.config["PRINT_CONTROL_MIN_VERSION"]
    controls = list(paired_controls(enterprise))
    if not controls:
        return ControlStatus(enums.PrintControlState.NOT_INSTALLED, None, min_version)
    fresh_after = utcnow().timestamp() - current_app.config["PRINT_CONTROL_HEARTBEAT_S"]
    running = [c for c in controls
               if c.last_heartbeat_at is not None and _ts(c.last_heartbeat_at) >= fresh_after]
    if not running:
        return ControlStatus(enums.PrintControlState.NOT_RUNNING, controls[0], min_version)
    current = [c for c in running if not is_outdated(c.version)]
    if not current:
        return ControlStatus(enums.PrintControlState.OUTDATED, running[0], min_version)
    return ControlStatus(enums.PrintControlState.READY, current[0], min_version)


def _ts(naive_utc):
    return naive_utc.replace(tzinfo=datetime.timezone.utc).timestamp()


# --- pairing ----------------------------------------------------------------------------------

def new_pairing_code(enterprise, who: str) -> str:
    """A one-time code for the 打印控件 page; only its digest is stored."""
    code = "".join(secrets.choice(PAIRING_ALPHABET) for _ in range(10))
    code = f"{code[:5]}-{code[5:]}"
    PrintControl.create(
        enterprise=enterprise, created_by=who, pairing_code_hash=token_digest(code),
        pairing_expires_at=utcnow() + datetime.timedelta(seconds=current_app.config["PAIRING_CODE_TTL_S"]))
    audit.record("printcontrol_pairing_code", enterprise.name_zh, "生成打印控件配对码")
    return code


def normalise_code(code: str) -> str:
    code = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    return f"{code[:5]}-{code[5:]}" if len(code) == 10 else code


def pair(code: str, name: str, version: str):
    """Exchange a pairing code for a token (once). Returns (control, token) or (None, None)."""
    digest = token_digest(normalise_code(code))
    token = new_token()
    now = utcnow()
    with write_transaction():
        taken = (PrintControl.update(token_hash=token_digest(token), pairing_code_hash=None,
                                     paired_at=now, name=(name or "")[:100], version=(version or "")[:32])
                 .where((PrintControl.pairing_code_hash == digest) & (PrintControl.pairing_expires_at > now)
                        & PrintControl.token_hash.is_null() & PrintControl.revoked_at.is_null())
                 .execute())
        if not taken:
            return None, None
        control = PrintControl.get(PrintControl.token_hash == token_digest(token))
    audit.record("printcontrol_paired", control.name, f"打印控件已配对，版本 {control.version}",
                 enterprise=control.enterprise, actor="打印控件")
    return control, token


HOT_SQL = {}


def hot_sql(name, build) -> str:
    """The SQL of a query on the controls' hot path (every long-poll), built once per database:
    Peewee's query building costs more than running these small indexed queries."""
    key = (name, id(database.obj))
    if key not in HOT_SQL:
        HOT_SQL[key] = build().sql()[0]
    return HOT_SQL[key]


def control_for_token(token: str):
    """The paired, unrevoked control holding `token` (id, enterprise id, name), or None."""
    if not token:
        return None
    sql = hot_sql("control_for_token", lambda: PrintControl.select(
        PrintControl.id, PrintControl.enterprise, PrintControl.name)
        .where((PrintControl.token_hash == "") & PrintControl.revoked_at.is_null()))
    row = database.execute_sql(sql, (token_digest(token),)).fetchone()
    return PrintControl(id=row[0], enterprise=row[1], name=row[2]) if row else None


def revoke(enterprise, control_id: int, who: str) -> bool:
    done = (PrintControl.update(revoked_at=utcnow())
            .where((PrintControl.id == control_id) & (PrintControl.enterprise == enterprise)
                   & PrintControl.revoked_at.is_null())
            .execute())
    if done:
        audit.record("printcontrol_revoked", str(control_id), f"{who} 撤销打印控件")
    return bool(done)


def heartbeat(control, version: str, printers) -> dict:
    printers = [str(p)[:200] for p in (printers or [])][:50]
    (PrintControl.update(version=(version or "")[:32], printers=json.dumps(printers, ensure_ascii=False),
                         last_heartbeat_at=utcnow())
     .where(PrintControl.id == control.id).execute())
    return {"min_version": current_app.config["PRINT_CONTROL_MIN_VERSION"], "outdated": is_outdated(version),
            "api": control_api_url()}


def control_api_url() -> str:
    """Where a paired control sends its calls ('' = the address it paired with)."""
    return current_app.config.get("PRINT_CONTROL_API_URL", "").rstrip("/")


# --- the downloadable control -----------------------------------------------------------------

ZIPAPP_NAME = "coo-printcontrol.pyz"
EXE_NAME = "coo-printcontrol.exe"


def windows_executable() -> Path | None:
    """The Windows one-file executable, when ops have put it where PRINT_CONTROL_EXE_PATH says."""
    path = Path(current_app.config.get("PRINT_CONTROL_EXE_PATH") or "")
    return path if path.name and path.is_file() else None


_ZIP_DATE = (2026, 1, 1, 0, 0, 0)


@functools.lru_cache(maxsize=8)


def control_zipapp(server: str) -> bytes:
    """The print control as one file that needs only Python 3 (a zipapp), carrying the
    server's address. Built from the package on first request, then cached."""
    import coo.printcontrol as package
    source = Path(package.__file__).parent
    buffer = io.BytesIO()
    buffer.write(b"#!/usr/bin/env python3\n")
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        def add(name, data):
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
        add("__main__.py", "import sys\nfrom coo.printcontrol.cli import main\nsys.exit(main())\n")
        add("coo/__init__.py", '"""coo print control (zipapp)."""\n')
        for path in sorted(source.glob("*.py")):
            add(f"coo/printcontrol/{path.name}", path.read_bytes())
        add("coo/printcontrol/defaults.json", json.dumps({"server": server.rstrip("/")}))
    return buffer.getvalue()


def controls_for_page(enterprise):
    query = (PrintControl.select()
             .where((PrintControl.enterprise == enterprise) & PrintControl.token_hash.is_null(False))
             .order_by(PrintControl.revoked_at.is_null(False), PrintControl.id.desc()))
    rows = []
    for control in query:
        try:
            printers = json.loads(control.printers or "[]")
        except ValueError:
            printers = []
        rows.append((control, printers))
    return rows
