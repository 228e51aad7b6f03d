"""The HTTP client of a real customs gateway: the same messages as the simulator, as JSON over
HTTPS to `CUSTOMS_HTTP_BASE_URL`, each request signed (`coo.customs.signing`).

    POST {base}/v1/messages                    {"kind", "reference", "payload"}  -> 2xx
    GET  {base}/v1/messages/{kind}/{reference}                                    -> 200
         {"state": "pending"} | {"state": "answered", "receipt": {"ok", "message", "at", "data"}}
         404 when customs never received the reference (we send it again)

Timeouts (`CUSTOMS_TIMEOUT_S`), connection errors and 5xx are retried here with exponential
backoff (`CUSTOMS_HTTP_RETRIES`, `CUSTOMS_HTTP_BACKOFF_S`), each retry signed afresh (a new
nonce: the receiver refuses a replayed one); what still fails is a GatewayError, and the job
tries again later. The standard library's urllib is enough: one small JSON call at a time.
"""
import datetime
import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request

from coo.customs import Gateway, GatewayError, Receipt, UnknownReference, signing


class HttpGateway(Gateway):
    def __init__(self, base_url: str, key: str, timeout_s: float = 10, retries: int = 3,
                 backoff_s: float = 0.5):
        if not base_url:
            raise ValueError("CUSTOMS_HTTP_BASE_URL must be set when CUSTOMS_GATEWAY=http")
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_s = backoff_s

    # Alike in shape to Simulator's constructor and from_config (`duplicates` pairs them): each
    # gateway reads its own settings, so nothing is shared but the shape.
    @classmethod
    def from_config(cls, config):
        return cls(config["CUSTOMS_HTTP_BASE_URL"], config["CUSTOMS_SHARED_KEY"],
                   timeout_s=config["CUSTOMS_TIMEOUT_S"], retries=config["CUSTOMS_HTTP_RETRIES"],
                   backoff_s=config["CUSTOMS_HTTP_BACKOFF_S"])

    def send(self, kind, reference, payload):
        body = {"kind": getattr(kind, "value", kind), "reference": reference, "payload": payload}
        self._call("POST", "/v1/messages", body)

    def poll(self, kind, reference):
        kind = getattr(kind, "value", kind)
        path = f"/v1/messages/{urllib.parse.quote(kind)}/{urllib.parse.quote(reference)}"
        status, answer = self._call("GET", path, None)
        if status == 404:
            raise UnknownReference(f"海关网关未收到参考号为 {reference} 的申请。")
        if answer.get("state") != "answered":
            return None
        receipt = answer.get("receipt") or {}
        at = receipt.get("at")
        at = datetime.datetime.fromisoformat(at) if at else None
        if at is not None and at.tzinfo is not None:
            at = at.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return Receipt(ok=bool(receipt.get("ok")), message=receipt.get("message", ""), at=at,
                       data=receipt.get("data") or {})

    # --- one signed call, with retries ---------------------------------------------------

    def _call(self, method, path, body):
        data = b"" if body is None else json.dumps(body, ensure_ascii=False, default=str).encode()
        url = self.base_url + path
        sign_path = urllib.parse.urlsplit(url).path
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
            headers = {"Content-Type": "application/json", "Accept": "application/json",
                       **signing.sign(self.key, method, sign_path, data)}
            request = urllib.request.Request(url, data=data if method != "GET" else None,
                                             headers=headers, method=method)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                    return response.status, _json(response.read())
            except urllib.error.HTTPError as error:
                payload = _json(error.read())
                if error.code == 404 and method == "GET":
                    return 404, payload
                last = f"海关网关返回 HTTP {error.code}：{payload.get('message', error.reason)}"
                if error.code < 500 and error.code != 429:
                    break   # our request is wrong (e.g. signature): retrying now will not help
            except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError) as error:
                reason = getattr(error, "reason", error)
                last = f"无法连接海关网关（{reason}）"
        raise GatewayError(last)


def _json(raw: bytes) -> dict:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
