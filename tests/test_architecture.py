"""The house reads top-down: a worker needs no blueprint, the registries are tables in one place,
and imports never run back up (web → services → models/db/enums; customs beside services; jobs
over services)."""
import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

from coo import enums
from coo.clock import utcnow
from coo.models import (
    Authorisation, Certificate, CustomsExchange, Enterprise, ExceptionApplication, PrintJob, database,
)
from coo.services import authorisation, exchanges, sweep

ROOT = Path(__file__).resolve().parent.parent
HUADONG = "浙江华东进出口有限公司"


# --- the registries ---------------------------------------------------------------------------

def test_every_exchange_kind_has_one_receipt_handler_in_the_table():
    assert set(exchanges.HANDLERS) == set(enums.ExchangeKind)
    for kind in enums.ExchangeKind:
        assert callable(exchanges.handler(kind)), kind
        assert exchanges.handler(kind.value) is exchanges.handler(kind)
    assert exchanges.GIVE_UP_KINDS <= set(enums.ExchangeKind)


def test_the_sweep_steps_are_listed_in_the_sweep_module():
    assert [step.__name__ for step in sweep.STEPS] == [
        "exchanges", "layouts", "exports", "print_jobs", "customs_nonces"]
    assert all(step.__module__ == sweep.__name__ for step in sweep.STEPS)


# A worker's process as the Procfile starts it, except that `coo.web` (and with it every
# blueprint) cannot be imported at all: receipts and the sweep must work from the services.
WORKER_WITHOUT_WEB = r"""
import json, sys

class NoWeb:
    def find_spec(self, name, path=None, target=None):
        if name == "coo.web" or name.startswith("coo.web."):
            raise ImportError(f"a worker imported {name}")
        return None

sys.meta_path.insert(0, NoWeb())
from jobs import customs, maintenance
results = {"exchanges": [customs.run_exchange(int(i)) for i in sys.argv[1:]],
           "sweep": maintenance.sweep()}
results["web_modules"] = sorted(m for m in sys.modules if m.startswith("coo.web"))
results["blueprints"] = sorted(__import__("jobs").app().blueprints)
print(json.dumps(results))
"""


def _exchange_of_every_kind(app):
    from customs_helpers import forget_demo_authorisations, make_seal, make_signature
    forget_demo_authorisations()
    huadong = Enterprise.get(Enterprise.name_zh == HUADONG)
    assert authorisation.set_default_seal(huadong, make_seal(huadong).id, "test") == ""
    assert authorisation.set_default_signature(huadong, make_signature(huadong).id, "test") == ""
    with app.test_request_context():
        auth = authorisation.submit(huadong, "王建国").authorisation
    to_archive, to_reprint = (Certificate.select().where(Certificate.exporter == huadong)
                              .order_by(Certificate.id).limit(2))
    Certificate.update(print_status=enums.PrintStatus.PRINTED, print_count=1).where(
        Certificate.id.in_([to_archive.id, to_reprint.id])).execute()
    application = ExceptionApplication.create(certificate=to_reprint, enterprise=huadong,
                                              reason=enums.ExceptionReason.PAPER_JAM, applied_by="李晓梅")
    with app.app_context():
        opened = [CustomsExchange.get(CustomsExchange.subject_id == auth.id),
                  exchanges.open_exchange(enums.ExchangeKind.ARCHIVE, to_archive.id,
                                          {"certificate_number": to_archive.number}),
                  exchanges.open_exchange(enums.ExchangeKind.EXCEPTION, application.id,
                                          {"certificate_number": to_reprint.number})]
    assert {e.kind for e in opened} == set(enums.ExchangeKind)
    stale = PrintJob.create(certificate=to_archive, enterprise=huadong, kind=enums.PrintKind.COPY,
                            requested_by="李晓梅", created_at=utcnow() - datetime.timedelta(days=1))
    return auth, to_archive, to_reprint, application, stale, opened


def test_a_worker_without_the_web_applies_every_kind_of_receipt_and_runs_the_sweep(app, demo, test_env):
    auth, to_archive, to_reprint, application, stale, opened = _exchange_of_every_kind(app)
    database.close()
    result = subprocess.run([sys.executable, "-c", WORKER_WITHOUT_WEB, *(str(e.id) for e in opened)],
                            env=dict(os.environ, **test_env), cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    database.connect(reuse_if_open=True)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["exchanges"] == ["applied"] * 3
    assert out["web_modules"] == [] and out["blueprints"] == []
    assert out["sweep"]["print_jobs"] == 1
    assert all(CustomsExchange.get_by_id(e.id).status == enums.ExchangeStatus.DONE for e in opened)
    assert Authorisation.get_by_id(auth.id).status == enums.ReceiptStatus.SUCCESS
    assert Certificate.get_by_id(to_archive.id).archive_status == enums.ArchiveStatus.ARCHIVED
    assert ExceptionApplication.get_by_id(application.id).status == enums.ExceptionStatus.ACCEPTED
    assert Certificate.get_by_id(to_reprint.id).reprint_allowed is True
    assert PrintJob.get_by_id(stale.id).status == enums.PrintJobStatus.FAILED


# --- the direction of imports -----------------------------------------------------------------

# (importing package or module, imported prefix): a lower layer never imports a higher one. Every
# import counts, at the top of a module or inside a function (a lazy import is an arrow too).
FOUNDATION = ("coo.models", "coo.db", "coo.enums", "coo.clock", "coo.params", "coo.queue", "coo.storage",
              "coo.security", "coo.validators", "coo.barcode", "coo.scan", "coo.signing", "coo.proof")
# The print control runs on the user's PC from a zipapp of coo/printcontrol/*.py alone.
SERVER = ("coo.models", "coo.db", "coo.enums", "coo.params", "coo.queue", "coo.storage", "coo.services",
          "coo.web", "coo.customs", "coo.security", "coo.clock")
FORBIDDEN = [
    ("coo.customs", "coo.web"),
    ("coo.customs", "coo.services"),
    ("coo.services", "coo.web"),
    ("jobs", "coo.web"),
    *((low, high) for low in FOUNDATION for high in ("coo.services", "coo.web")),
    *(("coo.printcontrol", server) for server in SERVER),
]
# Arrows that run back up on purpose, each with its reason. Empty: none is needed.
JUSTIFIED: set[tuple[str, str]] = set()


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, module: str):
    """(line, imported module) for every import in the file; `from a import b` names a.b too,
    since b may be a module (`from coo import web`)."""
    import ast
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            yield node.lineno, base
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def arrows_back_up(root: Path = ROOT):
    found = set()
    for path in sorted([*(root / "coo").rglob("*.py"), *(root / "jobs").rglob("*.py")]):
        module = _module_name(path, root)
        for line, imported in imports_of(path, module):
            for lower, higher in FORBIDDEN:
                if _within(module, lower) and _within(imported, higher) and (module, imported) not in JUSTIFIED:
                    found.add(f"{path.relative_to(root)}:{line} {module} imports {imported}")
    return sorted(found)


def test_no_import_runs_back_up():
    assert arrows_back_up() == []


def test_the_import_walk_finds_lazy_relative_and_from_imports(tmp_path):
    """The walk itself can fail: it finds each shape an arrow can take, and only those."""
    (tmp_path / "coo" / "customs").mkdir(parents=True)
    (tmp_path / "jobs").mkdir()
    (tmp_path / "coo" / "customs" / "sample.py").write_text(
        "import coo.models\nfrom coo.customs import offices\n\n\ndef f():\n    from coo import web\n"
        "    from ..services import rules\n", encoding="utf-8")
    (tmp_path / "jobs" / "sample.py").write_text("from coo.services import sweep\nimport coo.web.htmx\n",
                                                  encoding="utf-8")
    assert arrows_back_up(tmp_path) == [
        "coo/customs/sample.py:6 coo.customs.sample imports coo.web",
        "coo/customs/sample.py:7 coo.customs.sample imports coo.services",
        "coo/customs/sample.py:7 coo.customs.sample imports coo.services.rules",
        "jobs/sample.py:2 jobs.sample imports coo.web.htmx",
    ]


def objects_taken_from_the_app_package(root: Path = ROOT):
    """`from coo import X` where X is not a module of coo: only the app factory may be taken from
    coo/__init__.py (the CSRF object once lived there and blueprints imported it back up)."""
    import ast
    found = []
    for path in sorted([*(root / "coo").rglob("*.py"), *(root / "jobs").rglob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "coo" and not node.level:
                for alias in node.names:
                    module = root / "coo" / alias.name
                    if alias.name != "create_app" and not (module.with_suffix(".py").is_file() or module.is_dir()):
                        found.append(f"{path.relative_to(root)}:{node.lineno} takes {alias.name} from coo")
    return found


def test_only_the_app_factory_is_taken_from_the_app_package(tmp_path):
    assert objects_taken_from_the_app_package() == []
    (tmp_path / "coo" / "web").mkdir(parents=True)
    (tmp_path / "jobs").mkdir()
    (tmp_path / "coo" / "enums.py").write_text("", encoding="utf-8")
    (tmp_path / "coo" / "web" / "api.py").write_text("from coo import csrf, enums\n", encoding="utf-8")
    assert objects_taken_from_the_app_package(tmp_path) == ["coo/web/api.py:1 takes csrf from coo"]


def test_only_the_page_or_fragment_helper_reads_request_htmx():
    """`request.htmx` (boosted, history restore, …) is read in coo/web/htmx.py alone: a route
    that asked it itself would skip the helper's rules."""
    import ast
    helper = ROOT / "coo" / "web" / "htmx.py"
    readers = []
    for path in sorted([*(ROOT / "coo").rglob("*.py"), *(ROOT / "jobs").rglob("*.py")]):
        if path == helper:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "htmx":
                readers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert readers == []
    assert "request.htmx" in helper.read_text(encoding="utf-8")
