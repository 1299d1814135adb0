"""A guarded HTTP GET for URLs that users hand us: checked addresses, pinned, streamed.

The host is resolved here and every address it resolves to is checked: one private,
loopback, link-local, multicast or reserved answer refuses the URL (unless
MD5_ALLOW_PRIVATE). The connection then goes to the checked address itself, with the Host
header and the TLS SNI and certificate check still naming the host, so a second DNS answer
cannot swap in another address (DNS rebinding). Redirects are followed here, one hop at a
time, each hop checked the same way.
"""

from __future__ import annotations

import http.client
import ipaddress
import select
import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import certifi
import urllib3
from django.conf import settings
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from tasks_api.services import PermanentTaskError, TransientTaskError

REDIRECT_STATUSES = {301, 302, 303, 307, 308}
BUFFER_BYTES = 1024 * 1024
# No byte for this long before a read counts as a pause (see body_chunks).
PAUSE_SECONDS = 0.2
DEFAULT_PORTS = {"http": 80, "https": 443}
USER_AGENT = "workhorse-md5/1.0"


@dataclass(frozen=True)
class Target:
    """Where one request goes: the URL's host for headers and TLS, the checked IP for the socket."""

    scheme: str
    host: str
    port: int
    ip: str
    path: str

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


# IPv6 prefixes whose low 32 bits are an IPv4 address the packet ends up at: NAT64
# (RFC 6052, RFC 8215) and IPv4-translated addresses (RFC 2765).
_IPV4_IN_LOW_BITS = [
    ipaddress.ip_network("64:ff9b::/96"),
    ipaddress.ip_network("64:ff9b:1::/48"),
    ipaddress.ip_network("::ffff:0:0:0/96"),
]


# IPv6 ranges that are not public but that this Python's `is_global` may not know:
# deprecated site-local (RFC 3879) and the newer documentation prefix (RFC 9637).
_NOT_GLOBAL_IPV6 = [ipaddress.ip_network("fec0::/10"), ipaddress.ip_network("3fff::/20")]


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, when it carries one."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if any(ip in network for network in _IPV4_IN_LOW_BITS) or 1 < int(ip) <= 0xFFFFFFFF:
        # The last test is an IPv4-compatible address, ::a.b.c.d (deprecated, still routed).
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_address(address: str) -> bool:
    """Whether `address` (and any IPv4 address inside it) is a public unicast address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        ip = _embedded_ipv4(ip) or ip
    if any(ip in network for network in _NOT_GLOBAL_IPV6):
        return False
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


def check_url_shape(url: str) -> tuple[str, str, int]:
    """Scheme, host and port of an http(s) URL; PermanentTaskError for anything else."""
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS:
        raise PermanentTaskError(f"Only http and https URLs can be fetched, not {parts.scheme or 'none'!r}.")
    if not parts.hostname:
        raise PermanentTaskError(f"The URL {url!r} has no host.")
    try:
        # An international name goes on the wire (Host header, TLS) in its ASCII form.
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise PermanentTaskError(f"The URL {url!r} has a host name that cannot be used.") from exc
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError as exc:
        raise PermanentTaskError(f"The URL {url!r} has a bad port.") from exc
    return parts.scheme, host, port


def resolve_checked(url: str) -> tuple[str, str, int, list[str]]:
    """Scheme, host, port and the addresses the host resolves to, every one of them checked.

    Used at submit (so a refused URL is a 400 at once) and again by the worker before each
    request, which then connects to a checked address (see resolve_target).
    """
    scheme, host, port = check_url_shape(url)
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        if exc.errno == socket.EAI_AGAIN:
            raise TransientTaskError(f"Could not resolve {host}: {exc.strerror}.") from exc
        raise PermanentTaskError(f"Could not resolve {host}: {exc.strerror}.") from exc
    addresses = [str(answer[4][0]) for answer in answers]
    # The address itself stays out of the message: it would tell a caller what names
    # resolve to inside the network the worker runs in.
    if not settings.MD5_ALLOW_PRIVATE and not all(is_public_address(a) for a in addresses):
        raise PermanentTaskError(
            f"Refused: {host} resolves to a private, loopback, link-local or reserved address "
            "(a private deployment allows these with MD5_ALLOW_PRIVATE=1)."
        )
    return scheme, host, port, addresses


def resolve_target(url: str) -> Target:
    scheme, host, port, addresses = resolve_checked(url)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme=scheme, host=host, port=port, ip=addresses[0], path=path)


def _pool(target: Target) -> urllib3.HTTPConnectionPool:
    timeout = urllib3.Timeout(connect=settings.MD5_CONNECT_TIMEOUT, read=settings.MD5_READ_TIMEOUT)
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            target.ip,
            target.port,
            timeout=timeout,
            retries=False,
            maxsize=1,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    return urllib3.HTTPConnectionPool(target.ip, target.port, timeout=timeout, retries=False, maxsize=1)


def _request(target: Target) -> urllib3.BaseHTTPResponse:
    pool = _pool(target)
    return pool.urlopen(
        "GET",
        target.path,
        headers={"Host": target.host_header, "User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
        redirect=False,
        retries=False,
        preload_content=False,
        decode_content=False,
    )


def _check_status(response: urllib3.BaseHTTPResponse, url: str) -> None:
    answer = f"HTTP {response.status} {response.reason or ''}".strip()
    if 400 <= response.status < 500:
        raise PermanentTaskError(f"{answer} from {url}")
    if response.status >= 500:
        raise TransientTaskError(f"{answer} from {url}")
    if not 200 <= response.status < 300:
        # A 304, a 300, or a redirect without a Location: its body is not the file.
        raise PermanentTaskError(f"{answer} from {url} is not a file to hash.")


@contextmanager
def translated_errors(url: str) -> Iterator[None]:
    """urllib3's errors, and the socket's and http.client's from the body's read (which goes
    under urllib3, see body_chunks), as task errors a person can read.

    A refused connection or a reset may pass: retried. A timeout is not: the server stayed
    silent for the whole timeout, and trying again would mostly multiply the wait.
    """
    try:
        yield
    # NewConnectionError before ConnectTimeoutError: urllib3 makes it a subclass.
    except NewConnectionError as exc:
        raise TransientTaskError(f"Could not connect to {url}: connection refused or unreachable.") from exc
    except ConnectTimeoutError as exc:
        raise PermanentTaskError(
            f"Timed out connecting to {url} after {settings.MD5_CONNECT_TIMEOUT:g} s."
        ) from exc
    # The built-in TimeoutError and ssl.SSLError before OSError: they are subclasses.
    except (ReadTimeoutError, TimeoutError) as exc:
        raise PermanentTaskError(
            f"Timed out: {url} sent nothing for {settings.MD5_READ_TIMEOUT:g} s."
        ) from exc
    except (SSLError, ssl.SSLError) as exc:
        raise PermanentTaskError(f"TLS failed for {url}: {exc}.") from exc
    except (ProtocolError, OSError, http.client.HTTPException) as exc:
        raise TransientTaskError(f"The connection to {url} broke: {exc}.") from exc
    except HTTPError as exc:
        raise TransientTaskError(f"Fetching {url} failed: {exc}.") from exc


@contextmanager
def open_url(url: str) -> Iterator[urllib3.BaseHTTPResponse]:
    """A streaming response for `url` after following at most MD5_MAX_REDIRECTS redirects."""
    current = url
    for _hop in range(settings.MD5_MAX_REDIRECTS + 1):
        target = resolve_target(current)
        with translated_errors(current):
            response = _request(target)
            try:
                location = response.headers.get("Location")
                if response.status in REDIRECT_STATUSES and location:
                    current = urljoin(current, location)
                    continue
                _check_status(response, current)
                yield response
                return
            finally:
                response.release_conn()
                response.close()
    raise PermanentTaskError(f"Too many redirects: more than {settings.MD5_MAX_REDIRECTS} from {url}.")


def _pause_detector(raw: http.client.HTTPResponse) -> Callable[[], bool]:
    """Whether nothing came on the response's socket for PAUSE_SECONDS (waiting that long).

    Only right after a read that emptied http.client's buffer does the socket tell the
    whole truth; body_chunks asks only then. Under TLS a decrypted byte could still wait in
    the TLS layer: the caller then does what it does on a pause a little early, nothing worse.
    """
    poller = select.poll()
    poller.register(raw.fp.fileno(), select.POLLIN)
    return lambda: not poller.poll(PAUSE_SECONDS * 1000)


def body_chunks(
    response: urllib3.BaseHTTPResponse, url: str, on_pause: Callable[[], None] | None = None
) -> Iterator[memoryview]:
    """The body of an open_url response as views of one reused buffer, each valid until the next.

    urllib3's stream() makes a new bytes object per chunk, more than twice the CPU per MiB of
    reading into one buffer; so the body is read from the http.client response under it
    (urllib3 keeps it as `_fp` and offers no other way to it). A read returns as soon as
    some bytes have come (readinto1), so a slow server still lets the caller look at its stop
    flag between reads. `on_pause` is called before a read when the server has sent nothing
    for PAUSE_SECONDS, the moment to show how far the body came (not for a chunked body,
    whose chunk headers keep bytes in http.client's buffer, out of the socket's sight).
    Failures surface as task errors through open_url's translated_errors, and a body shorter
    than its Content-Length is one (http.client takes a closed connection for the end of the
    body; urllib3 checked that).
    """
    raw: http.client.HTTPResponse = response._fp  # type: ignore[attr-defined]
    buffer = memoryview(bytearray(BUFFER_BYTES))
    if raw.chunked:  # http.client decodes the chunks and notices a truncated body itself
        while count := raw.readinto(buffer):
            yield buffer[:count]
        return
    paused = _pause_detector(raw) if on_pause else lambda: False
    declared, received = raw.length, 0  # length None: no Content-Length, the body ends at close
    while raw.fp is not None and (declared is None or received < declared):
        wanted = BUFFER_BYTES if declared is None else min(BUFFER_BYTES, declared - received)
        # Not before the first read: it takes what came with the headers from the buffer.
        if received and on_pause and paused():
            on_pause()
        count = raw.fp.readinto1(buffer[:wanted])
        if not count:
            break
        received += count
        yield buffer[:count]
    if declared is not None and received < declared:
        raise TransientTaskError(
            f"The connection to {url} broke: the body ended after {received} of {declared} bytes."
        )
