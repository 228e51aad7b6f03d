"""Settings per environment, read from environment variables with embedded defaults.

`create_app(config_name)` picks one of CONFIGS. Every setting that differs between a laptop and
production comes from the environment: DATABASE_URL, REDIS_URL, SECRET_KEY, CUSTOMS_GATEWAY, ...
"""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("COO_INSTANCE_PATH", ROOT / "instance"))


def _int(name, default):
    return int(os.environ.get(name, default))


def _float(name, default):
    return float(os.environ.get(name, default))


def _bool(name, default):
    return os.environ.get(name, str(default)).lower() in ("1", "true", "yes", "on")


# The values the repository ships: anybody can read them, so production refuses them.
DEVELOPMENT_SECRETS = {
    "SECRET_KEY": {"dev-only-not-secret", "test-secret"},
    "CUSTOMS_SHARED_KEY": {"dev-customs-key"},
}
MIN_SECRET_LENGTH = 16


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    # Load balancers / reverse proxies in front of the app: the client address and scheme are
    # taken from that many X-Forwarded-For/-Proto hops (werkzeug ProxyFix). Never the Host.
    TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)
    # Strict-Transport-Security max-age sent on every response (0: none).
    HSTS_MAX_AGE_S = _int("HSTS_MAX_AGE_S", 0)
    DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE / 'coo.sqlite3'}")
    # Connections each process keeps open (a gunicorn sync worker needs one; threads more).
    DATABASE_POOL_SIZE = _int("DATABASE_POOL_SIZE", 8)
    REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6390/0")
    INSTANCE_PATH = str(INSTANCE)
    # --- File storage (coo/storage.py; README "文件存储 / File storage") ---------------------
    # Layouts, exports, seal and signature scans, signed originals. "local": the folder
    # STORAGE_PATH, one host only (the default). "s3": an S3-compatible bucket every web and
    # worker host shares. Credentials: COO_S3_ACCESS_KEY_ID/COO_S3_SECRET_ACCESS_KEY, or (unset)
    # boto3's own chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, instance role.
    STORAGE_BACKEND = os.environ.get("COO_STORAGE", "local")
    STORAGE_PATH = os.environ.get("COO_STORAGE_PATH", str(INSTANCE / "storage"))
    S3_ENDPOINT_URL = os.environ.get("COO_S3_ENDPOINT_URL", "")      # empty: AWS itself
    S3_BUCKET = os.environ.get("COO_S3_BUCKET", "")
    S3_PREFIX = os.environ.get("COO_S3_PREFIX", "")                  # keys under this folder
    S3_REGION = os.environ.get("COO_S3_REGION", os.environ.get("AWS_DEFAULT_REGION", ""))
    S3_ACCESS_KEY_ID = os.environ.get("COO_S3_ACCESS_KEY_ID", "")
    S3_SECRET_ACCESS_KEY = os.environ.get("COO_S3_SECRET_ACCESS_KEY", "")
    S3_ADDRESSING_STYLE = os.environ.get("COO_S3_ADDRESSING_STYLE", "")  # empty: path with an endpoint
    # --- end of file storage --------------------------------------------------------------------

    # Customs gateway (SPEC section 5): "simulator" (embedded) or "http".
    CUSTOMS_GATEWAY = os.environ.get("CUSTOMS_GATEWAY", "simulator")
    # Production runs the simulator only when told so explicitly (a staging or training site).
    ALLOW_SIMULATOR_IN_PRODUCTION = _bool("ALLOW_SIMULATOR_IN_PRODUCTION", False)
    CUSTOMS_HTTP_BASE_URL = os.environ.get("CUSTOMS_HTTP_BASE_URL", "")
    CUSTOMS_SHARED_KEY = os.environ.get("CUSTOMS_SHARED_KEY", "dev-customs-key")
    CUSTOMS_TIMEOUT_S = _float("CUSTOMS_TIMEOUT_S", 10)
    CUSTOMS_REPLAY_WINDOW_S = _int("CUSTOMS_REPLAY_WINDOW_S", 300)
    SIMULATOR_SEED = _int("SIMULATOR_SEED", 20261126)
    SIMULATOR_FAILURE_RATE = _float("SIMULATOR_FAILURE_RATE", 0.0)
    SIMULATOR_RECEIPT_DELAY_S = _float("SIMULATOR_RECEIPT_DELAY_S", 5)
    SIMULATOR_ARCHIVE_DELAY_S = _float("SIMULATOR_ARCHIVE_DELAY_S", 10)
    SIMULATOR_AUTH_FAILURE_RATE = _float("SIMULATOR_AUTH_FAILURE_RATE", 0.0)
    # The HTTP client retries a failed call itself (timeouts, 5xx) before giving up to the job.
    CUSTOMS_HTTP_RETRIES = _int("CUSTOMS_HTTP_RETRIES", 3)
    CUSTOMS_HTTP_BACKOFF_S = _float("CUSTOMS_HTTP_BACKOFF_S", 0.5)
    # jobs.customs.run_exchange: wait between polls while no receipt, and backoff after a
    # GatewayError (base * 2**(attempts-1), capped).
    CUSTOMS_POLL_INTERVAL_S = _float("CUSTOMS_POLL_INTERVAL_S", 5)
    CUSTOMS_RETRY_BASE_S = _float("CUSTOMS_RETRY_BASE_S", 5)
    CUSTOMS_RETRY_MAX_S = _float("CUSTOMS_RETRY_MAX_S", 300)
    # An authorisation or exception request that could not be delivered to customs for this
    # long ends as 失败 ("submit again"); archive requests never give up.
    CUSTOMS_GIVE_UP_S = _float("CUSTOMS_GIVE_UP_S", 6 * 3600)

    # 查看结果 countdown; the server enforces it too.
    AUTH_RESULT_DELAY_S = _int("AUTH_RESULT_DELAY_S", 120)
    # Print control (打印控件).
    PRINT_CONTROL_MIN_VERSION = os.environ.get("PRINT_CONTROL_MIN_VERSION", "1.2.0")
    PRINT_CONTROL_HEARTBEAT_S = _int("PRINT_CONTROL_HEARTBEAT_S", 30)
    # How long the server holds a control's "next job?" request open (long-poll).
    PRINT_CONTROL_LONG_POLL_S = _int("PRINT_CONTROL_LONG_POLL_S", 20)
    # Where paired controls send heartbeats, long-polls and results: the Procfile's
    # `printcontrol` process (gevent, holds thousands of idle polls). Empty: the address they
    # paired with (a proxy routes /api/printcontrol/ to that process, or the web serves it).
    PRINT_CONTROL_API_URL = os.environ.get("PRINT_CONTROL_API_URL", "")
    # The Windows executable built on Windows from packaging/coo-printcontrol.spec (docs/
    # print-control.md); served by 下载安装包 when the file is there.
    PRINT_CONTROL_EXE_PATH = os.environ.get("PRINT_CONTROL_EXE_PATH", str(INSTANCE / "downloads" / "coo-printcontrol.exe"))
    # A job not taken, or taken and never reported, for this long ends as 打印失败 (sweep).
    PRINT_JOB_TIMEOUT_S = _int("PRINT_JOB_TIMEOUT_S", 600)
    PAIRING_CODE_TTL_S = _int("PAIRING_CODE_TTL_S", 600)
    PAIRING_RATE_LIMIT_PER_MIN = _int("PAIRING_RATE_LIMIT_PER_MIN", 10)
    # 出口原产地证书核查: inquiries per client address and minute.
    VERIFY_RATE_LIMIT_PER_MIN = _int("VERIFY_RATE_LIMIT_PER_MIN", 10)

    # PDF signature of downloaded originals: PEM key + certificate (+ chain) issued by a CA.
    # Unset: a self-signed demo key is made on first use under INSTANCE_PATH/signing/.
    SIGNING_KEY_PATH = os.environ.get("COO_SIGNING_KEY", "")
    SIGNING_CERT_PATH = os.environ.get("COO_SIGNING_CERT", "")
    SIGNING_CHAIN_PATH = os.environ.get("COO_SIGNING_CHAIN", "")
    # The RFC 3161 time-stamping authority of signed originals (PAdES B-T); `make run` starts a
    # local one (coo/proof/tsa.py). Unset: originals are signed without a timestamp (B-B).
    TSA_URL = os.environ.get("COO_TSA_URL", "")
    TSA_TIMEOUT_S = _int("COO_TSA_TIMEOUT_S", 10)
    # The ECDSA P-256 key of the QR digital seal and the signed record, and the retired ones
    # still published (coo/proof/keys.py). Unset: a demo key is made under INSTANCE_PATH.
    VERIFY_KEY_PATH = os.environ.get("COO_VERIFY_KEY", "")
    VERIFY_RETIRED_KEY_PATHS = os.environ.get("COO_VERIFY_RETIRED_KEYS", "")

    # Pending customs exchanges older than this are re-enqueued by the sweep.
    SWEEP_STALE_AFTER_S = _int("SWEEP_STALE_AFTER_S", 120)
    SWEEP_INTERVAL_S = _int("SWEEP_INTERVAL_S", 60)

    LOGIN_MAX_FAILURES = 5
    # Login throttle (coo.services.accounts): per window, attempts per client address, and per
    # card/user from addresses it never logged in from (below LOGIN_MAX_FAILURES, so a stranger
    # is stopped before he locks the card); "known" means a login from there within N days.
    LOGIN_THROTTLE_WINDOW_S = _int("LOGIN_THROTTLE_WINDOW_S", 900)
    LOGIN_ATTEMPTS_PER_ADDRESS = _int("LOGIN_ATTEMPTS_PER_ADDRESS", 30)
    LOGIN_STRANGER_ATTEMPTS = _int("LOGIN_STRANGER_ATTEMPTS", 3)
    LOGIN_KNOWN_ADDRESS_DAYS = _int("LOGIN_KNOWN_ADDRESS_DAYS", 90)
    PAGE_SIZE = 20
    # The list counts matching rows up to this many ("共 500+ 条"): each counted row costs a
    # table read, and a large exporter has hundreds of thousands.
    LIST_COUNT_CAP = _int("LIST_COUNT_CAP", 500)
    EXPORT_SYNC_LIMIT = _int("EXPORT_SYNC_LIMIT", 5000)
    EXPORT_TTL_S = _int("EXPORT_TTL_S", 3600)
    # A background export records its progress every this many rows.
    EXPORT_PROGRESS_EVERY = _int("EXPORT_PROGRESS_EVERY", 2000)
    MAX_CONTENT_LENGTH = 6 * 1024 * 1024
    SCAN_MAX_BYTES = 5 * 1024 * 1024
    # Decoded size cap of a scan (decompression bombs): 40 Mpx is a 55 mm seal at 1200 dpi, thrice.
    SCAN_MAX_PIXELS = _int("SCAN_MAX_PIXELS", 40_000_000)

    # The demo seed gives exporters without one a drawn seal, signature and successful
    # authorisation, and enqueues the layout jobs (off in tests: they build their own).
    DEMO_LAYOUTS = _bool("DEMO_LAYOUTS", True)

    # The one source of absolute URLs (QR codes on PDFs, the print control's server address,
    # links in documents): never the request's Host header, which the client chooses.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = None
    TESTING = False


class DevelopmentConfig(Config):
    pass


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "sqlite:///:memory:")
    REDIS_URL = os.environ.get("TEST_REDIS_URL", os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"))
    AUTH_RESULT_DELAY_S = 120
    SIMULATOR_RECEIPT_DELAY_S = 0
    SIMULATOR_ARCHIVE_DELAY_S = 0
    CUSTOMS_RETRY_BASE_S = 0
    CUSTOMS_POLL_INTERVAL_S = 1
    CUSTOMS_HTTP_BACKOFF_S = 0.01
    DEMO_LAYOUTS = False


class ProductionConfig(Config):
    """Refuses to be built (`UnsafeConfiguration`, naming every offending setting) unless
    the secrets are real, the public address is https and not loopback, and the simulator
    gateway, if chosen, was explicitly allowed."""
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    HSTS_MAX_AGE_S = _int("HSTS_MAX_AGE_S", 365 * 24 * 3600)
    DEMO_LAYOUTS = False

    def __init__(self):
        problems = production_problems(self)
        if problems:
            raise UnsafeConfiguration(problems)
        import logging
        for warning in production_warnings(self):
            logging.getLogger("coo.config").warning("COO_CONFIG=production: %s", warning)


def production_warnings(config) -> list[str]:
    """What production runs with but should not: keys each host would make for itself (a QR or
    an original signed on one host would not verify against another host's keys), and
    originals signed without a trusted timestamp."""
    warnings = []
    for name, setting in (("COO_VERIFY_KEY", "VERIFY_KEY_PATH"), ("COO_SIGNING_KEY", "SIGNING_KEY_PATH"),
                          ("COO_SIGNING_CERT", "SIGNING_CERT_PATH")):
        if not getattr(config, setting, ""):
            warnings.append(f"{name} is not set: this host makes its own demo key; set the same key on every host")
    if not getattr(config, "TSA_URL", ""):
        warnings.append("COO_TSA_URL is not set: downloaded originals carry no trusted timestamp (PAdES B-B)")
    return warnings


class UnsafeConfiguration(RuntimeError):
    def __init__(self, problems):
        self.problems = problems
        super().__init__("COO_CONFIG=production refuses to start:\n" + "\n".join(f"  - {p}" for p in problems))


def _loopback(host: str) -> bool:
    import ipaddress
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def production_problems(config) -> list[str]:
    """What makes `config` unsafe to serve the public, one line per setting."""
    from urllib.parse import urlsplit
    problems = []
    for name, defaults in DEVELOPMENT_SECRETS.items():
        value = getattr(config, name, "") or ""
        if not os.environ.get(name) or not value:   # unset: the class falls back to the default
            problems.append(f"{name} is not set")
        elif value in defaults:
            problems.append(f"{name} is the development default from the repository")
        elif len(value) < MIN_SECRET_LENGTH:
            problems.append(f"{name} is shorter than {MIN_SECRET_LENGTH} characters")
    base = getattr(config, "PUBLIC_BASE_URL", "") or ""
    if not os.environ.get("PUBLIC_BASE_URL") or not base:
        problems.append("PUBLIC_BASE_URL is not set (the https address users and QR codes reach)")
    else:
        parts = urlsplit(base)
        if parts.scheme != "https" or not parts.hostname:
            problems.append(f"PUBLIC_BASE_URL must be an https:// address, not {base!r}")
        elif _loopback(parts.hostname):
            problems.append(f"PUBLIC_BASE_URL points at loopback ({parts.hostname}): "
                            f"QR codes and the print control would reach nobody")
    gateway = getattr(config, "CUSTOMS_GATEWAY", "")
    if gateway == "simulator" and not getattr(config, "ALLOW_SIMULATOR_IN_PRODUCTION", False):
        problems.append("CUSTOMS_GATEWAY is the simulator: set CUSTOMS_GATEWAY=http (with "
                        "CUSTOMS_HTTP_BASE_URL), or ALLOW_SIMULATOR_IN_PRODUCTION=1 for a training site")
    elif gateway == "http" and urlsplit(getattr(config, "CUSTOMS_HTTP_BASE_URL", "")).scheme != "https":
        problems.append("CUSTOMS_HTTP_BASE_URL must be the gateway's https:// address (CUSTOMS_GATEWAY=http)")
    elif gateway not in ("simulator", "http"):
        problems.append(f"CUSTOMS_GATEWAY must be 'http' or 'simulator', not {gateway!r}")
    return problems


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}
