"""A small HTTP proxy in front of moto that counts calls and injects the faults moto cannot make.

- counts every request by operation (`Action=` form field, or `X-Amz-Target` for JSON APIs)
  and by account (learned from the STS AssumeRole answers that pass through it);
- injects faults by rule: throttling that clears after N calls, 403 for one account, a 5xx
  from the Nth call of an operation on;
- pages GetAccountAuthorizationDetails, which moto always answers whole: it fetches moto's full
  answer and serves the slice that MaxItems / Marker ask for, with IsTruncated and the next Marker.
"""

import http.client
import json
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"
_GAAD_LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
_ACCESS_KEY = re.compile(r"Credential=([A-Z0-9]+)/\d+/[^/]+/([^/]+)/")


@dataclass
class Call:
    service: str
    operation: str
    account: str | None
    params: dict[str, str]


@dataclass
class Fault:
    """Answer matching calls with an error: the first `after` pass, then `times` fail (None: all)."""

    operation: str | None = None
    service: str | None = None
    account: str | None = None
    when: Callable[[Call], bool] = lambda call: True
    after: int = 0
    times: int | None = None
    status: int = 400
    code: str = "Throttling"
    message: str = "Rate exceeded"
    seen: int = field(default=0, init=False)

    def fires(self, call: Call) -> bool:
        if (
            self.operation not in (None, call.operation)
            or self.service not in (None, call.service)
            or self.account not in (None, call.account)
            or not self.when(call)
        ):
            return False
        self.seen += 1
        return self.seen > self.after and (self.times is None or self.seen <= self.after + self.times)


class FaultProxy:
    def __init__(self, upstream: str, gaad_page_size: int | None = None):
        self.upstream = urlsplit(upstream)
        self.gaad_page_size = gaad_page_size  # serve at most this many GAAD items, whatever MaxItems says
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.watchers: list[Callable[[Call, bytes], None]] = []  # see every upstream answer
        self.accounts: dict[str, str] = {}  # access key id -> account
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.proxy = self
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.endpoint = f"http://127.0.0.1:{self._server.server_port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def count(self, operation: str | None = None, account: str | None = None, **params: str | None) -> int:
        """Calls of `operation` (any when None) by `account` whose form fields have the values
        of `params` (None: the field is absent)."""
        return sum(
            operation in (None, c.operation)
            and account in (None, c.account)
            and all(c.params.get(k) == v for k, v in params.items())
            for c in self.calls
        )

    # ---- one request ---------------------------------------------------------------------------

    def handle(self, path: str, headers, body: bytes) -> tuple[int, dict, bytes]:
        call = self._call(headers, body)
        with self._lock:
            self.calls.append(call)
            fault = next((f for f in self.faults if f.fires(call)), None)
        if fault:
            return _error(fault, json_api="X-Amz-Target" in headers)
        status, out_headers, data = self._forward(path, headers, body)
        for watch in self.watchers:
            watch(call, data)
        if status == 200 and call.operation == "AssumeRole":
            self._learn_account(data)
        if status == 200 and call.operation == "GetAccountAuthorizationDetails":
            data = self._page(data, call.params)
        return status, out_headers, data

    def _call(self, headers, body: bytes) -> Call:
        signed = _ACCESS_KEY.search(headers.get("Authorization", ""))
        key, service = signed.groups() if signed else (None, "")
        if "X-Amz-Target" in headers:
            params, operation = {}, headers["X-Amz-Target"].rsplit(".", 1)[-1]
        else:
            params = dict(parse_qsl(body.decode()))
            operation = params.get("Action", "")
        return Call(service, operation, self.accounts.get(key), params)

    def _forward(self, path: str, headers, body: bytes) -> tuple[int, dict, bytes]:
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=120)
        try:
            conn.request(
                "POST", path, body=body, headers={k: v for k, v in headers.items() if k.lower() != "connection"}
            )
            resp = conn.getresponse()
            skip = {"content-length", "connection", "transfer-encoding"}
            return resp.status, {k: v for k, v in resp.getheaders() if k.lower() not in skip}, resp.read()
        finally:
            conn.close()

    def _learn_account(self, data: bytes) -> None:
        key = re.search(rb"<AccessKeyId>([A-Z0-9]+)</AccessKeyId>", data)
        arn = re.search(rb"<Arn>arn:aws:sts::(\d{12}):assumed-role/", data)
        if key and arn:
            with self._lock:
                self.accounts[key.group(1).decode()] = arn.group(1).decode()

    def _page(self, data: bytes, params: dict[str, str]) -> bytes:
        ET.register_namespace("", IAM_NS)
        root = ET.fromstring(data)
        result = root.find(f"{{{IAM_NS}}}GetAccountAuthorizationDetailsResult")
        lists = [e for name in _GAAD_LISTS if (e := result.find(f"{{{IAM_NS}}}{name}")) is not None]
        items = [(lst, member) for lst in lists for member in list(lst)]
        size = min(int(params.get("MaxItems", 100)), self.gaad_page_size or 1000)
        start = int(params.get("Marker", 0))
        for i, (lst, member) in enumerate(items):
            if not start <= i < start + size:
                lst.remove(member)
        truncated = start + size < len(items)
        for old in result.findall(f"{{{IAM_NS}}}IsTruncated") + result.findall(f"{{{IAM_NS}}}Marker"):
            result.remove(old)
        ET.SubElement(result, f"{{{IAM_NS}}}IsTruncated").text = str(truncated).lower()
        if truncated:
            ET.SubElement(result, f"{{{IAM_NS}}}Marker").text = str(start + size)
        return ET.tostring(root)


def _error(fault: Fault, json_api: bool) -> tuple[int, dict, bytes]:
    if json_api:
        return (
            fault.status,
            {"Content-Type": "application/x-amz-json-1.1"},
            json.dumps({"__type": fault.code, "message": fault.message}).encode(),
        )
    body = (
        f'<ErrorResponse xmlns="{IAM_NS}"><Error><Type>Sender</Type><Code>{fault.code}</Code>'
        f"<Message>{fault.message}</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>"
    )
    return fault.status, {"Content-Type": "text/xml"}, body.encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        status, headers, data = self.server.proxy.handle(self.path, self.headers, body)
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:  # quiet: tests read `FaultProxy.calls`
        pass
