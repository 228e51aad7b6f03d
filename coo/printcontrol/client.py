"""The control's side of `/api/printcontrol/v1/...`: JSON over HTTP(S), token in a header."""
import json
import urllib.error
import urllib.request

from . import VERSION

API = "/api/printcontrol/v1"


class ServerError(Exception):
    def __init__(self, status, message):
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class Client:
    def __init__(self, server: str, token: str = "", timeout: float = 30):
        self.server = server.rstrip("/")
        self.token = token
        self.timeout = timeout

    def _request(self, method, path, body=None, timeout=None, raw=False):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.server + path, data=data, method=method)
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
                return json.loads(payload)
        except urllib.error.HTTPError as exc:
            text = exc.read().decode("utf-8", "replace")
            try:
                text = json.loads(text).get("error", text)
            except ValueError:
                pass
            raise ServerError(exc.code, text) from None

    def pair(self, code: str, name: str) -> dict:
        return self._request("POST", f"{API}/pair", {"code": code, "name": name, "version": VERSION})

    def heartbeat(self, printers: list[str]) -> dict:
        return self._request("POST", f"{API}/heartbeat", {"version": VERSION, "printers": printers})

    def next_job(self, wait: float) -> dict | None:
        """Long-poll: the server holds the request up to `wait` seconds until a job is there."""
        return self._request("GET", f"{API}/jobs/next?wait={int(wait)}", timeout=wait + 30)

    def fetch(self, url: str) -> bytes:
        return self._request("GET", url, raw=True, timeout=120)

    def report(self, job_id: int, ok: bool, message: str, printer: str) -> dict:
        return self._request("POST", f"{API}/jobs/{job_id}/result",
                             {"ok": ok, "message": message, "printer": printer})
