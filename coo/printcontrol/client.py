"""The control's side of `/api/printcontrol/v1/...`: JSON over HTTP(S), token in a header.

Every way a call can fail ends as one of two exceptions, so the loop in `cli` decides once:
- `ServerError(status, message)`: the server answered with an error status (5xx: try again
  later; `revoked` when it says the token is not (or no longer) valid: pair again);
- `NetworkError(message)`: no answer — unreachable, DNS, TLS, timeout, a connection cut in the
  middle, or an answer that is not ours (a proxy's page); the message is one Chinese line.
"""
from __future__ import annotations

import http.client
import json
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from typing import List, Optional

from . import VERSION

API = "/api/printcontrol/v1"


class ServerError(Exception):
    def __init__(self, status, message, revoked=False):
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.revoked = revoked

    @property
    def transient(self) -> bool:
        """A server error (5xx) or too many requests: wait and try again."""
        return self.status >= 500 or self.status in (408, 429)


class NetworkError(Exception):
    """The server could not be reached or did not answer properly."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def describe(exc: BaseException, url: str) -> str:
    """One Chinese line for a failed connection."""
    host = urllib.parse.urlsplit(url).netloc or url
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, socket.gaierror):
        return f"无法解析服务器地址 {host}（DNS 失败，请检查网络或系统地址）"
    if isinstance(reason, ssl.SSLCertVerificationError):
        return f"服务器 {host} 的 TLS 证书校验失败（{getattr(reason, 'verify_message', '') or reason}）"
    if isinstance(reason, ssl.SSLError):
        return f"与 {host} 的 TLS 连接失败（{reason.reason or reason}）"
    if isinstance(reason, ConnectionRefusedError):
        return f"服务器 {host} 拒绝连接（系统可能未启动或正在维护）"
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return f"连接服务器 {host} 超时"
    if isinstance(reason, (ConnectionError, http.client.HTTPException)):
        return f"与服务器 {host} 的连接中断（{type(reason).__name__}）"
    return f"无法连接服务器 {host}（{reason}）"


class Client:
    def __init__(self, server: str, token: str = "", timeout: float = 30, api: str = ""):
        self.server = server.rstrip("/")
        self.api = (api or server).rstrip("/")
        self.token = token
        self.timeout = timeout

    def _request(self, method, path, body=None, timeout=None, raw=False, base=None):
        url = (base or self.api) + path
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("User-Agent", f"coo-printcontrol/{VERSION}")
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as response:
                payload = response.read()
                if raw:
                    return payload
                if response.status == 204 or not payload:
                    return None
                try:
                    return json.loads(payload)
                except ValueError:
                    raise NetworkError(f"服务器 {urllib.parse.urlsplit(url).netloc} 的回答不是打印控件接口"
                                       f"（请检查系统地址）") from None
        except urllib.error.HTTPError as exc:
            raise self._server_error(exc) from None
        except NetworkError:
            raise
        except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
            # ValueError: a malformed URL or header; OSError covers timeouts, resets, TLS.
            raise NetworkError(describe(exc, url)) from None

    @staticmethod
    def _server_error(exc):
        try:
            text = exc.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            text = ""
        ours = (exc.headers.get("Content-Type", "") if exc.headers else "").startswith("application/json")
        message = text
        if ours:
            try:
                message = json.loads(text).get("error", text)
            except (ValueError, AttributeError):
                ours = False
        # The server's own answer (JSON) to a token it does not know: revoked or never paired.
        # A proxy's 404 page is not that: it is retried like any other outage.
        revoked = ours and exc.code in (401, 403, 404)
        if not ours:
            message = f"HTTP {exc.code}"
        return ServerError(exc.code, message, revoked=revoked)

    def pair(self, code: str, name: str) -> dict:
        return self._request("POST", f"{API}/pair", {"code": code, "name": name, "version": VERSION},
                             base=self.server)

    def heartbeat(self, printers: List[str]) -> dict:
        return self._request("POST", f"{API}/heartbeat", {"version": VERSION, "printers": printers})

    def next_job(self, wait: float) -> Optional[dict]:
        """Long-poll: the server holds the request up to `wait` seconds until a job is there."""
        return self._request("GET", f"{API}/jobs/next?wait={int(wait)}", timeout=wait + 30)

    def fetch(self, url: str) -> bytes:
        return self._request("GET", url, raw=True, timeout=120)

    def report(self, job_id: int, ok: bool, message: str, printer: str) -> dict:
        return self._request("POST", f"{API}/jobs/{job_id}/result",
                             {"ok": ok, "message": message, "printer": printer})
