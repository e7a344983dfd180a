"""Fetching a web page for a featured review, guarded against reaching what it should not.

Every hop (the first request and each redirect) is checked the same way: an http(s) URL; a host whose
every DNS answer is a public address (unless private addresses are allowed by a setting); then a
connection to exactly the address that was checked, with no second DNS lookup (a pinned resolver),
while the Host header and TLS server name stay the URL's own. Responses must be HTML or plain text,
within a size limit counted while streaming, within a time limit, and within a number of redirects.
The text is decoded as a browser would: a byte-order mark, else the charset in the Content-Type header,
else a `<meta>` declaration near the top, else UTF-8 if it is valid, else a detected legacy encoding.
Each refusal says why in words an organizer can act on.
"""

from __future__ import annotations

import asyncio
import codecs
import ipaddress
import logging
import re
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

log = logging.getLogger(__name__)

Resolver = Callable[[str, int], Awaitable[list[str]]]
"""Return the IP addresses a host name resolves to."""
Route = Callable[[str, int], tuple[str, int]]
"""Return where to open the socket for a vetted (address, port); the identity outside tests."""

TEXT_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain"})
USER_AGENT = "bookclub-bot (featured review fetcher)"


class FetchRefused(Exception):
    """A URL that was not (or could not be) fetched; `message` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FetchLimits:
    """How much a fetch may cost."""

    max_bytes: int = 2 * 1024 * 1024
    timeout: float = 15.0
    max_redirects: int = 5


@dataclass(frozen=True)
class FetchedPage:
    """A page as fetched: its final URL, media type and decoded text."""

    url: str
    content_type: str
    text: str


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve a host name with the system's resolver, off the event loop."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _identity(address: str, port: int) -> tuple[str, int]:
    return address, port


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

REFUSED_KINDS: tuple[tuple[str, Callable[[IPAddress], bool]], ...] = (
    ("a loopback address (this machine)", lambda ip: ip.is_loopback),
    ("a link-local address (such as a cloud metadata service)", lambda ip: ip.is_link_local),
    ("a multicast address", lambda ip: ip.is_multicast),
    ("an unspecified address", lambda ip: ip.is_unspecified),
    ("a private network address", lambda ip: ip.is_private),
    ("a reserved address", lambda ip: ip.is_reserved or not ip.is_global),
)
"""The one list of what is not fetched from, in the order a refusal names it; anything else is public."""

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: the last 32 bits are the IPv4 address
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated ::a.b.c.d (:: and ::1 excepted below)


def _low_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[str, list[ipaddress.IPv4Address]] | None:
    """Return the kind of an IPv6 address that carries IPv4 addresses, and those addresses; else None."""
    if ip.ipv4_mapped is not None:
        return "an IPv4-mapped", [ip.ipv4_mapped]
    if ip.sixtofour is not None:
        return "a 6to4", [ip.sixtofour]
    if ip.teredo is not None:
        return "a Teredo", list(ip.teredo)  # (server, client): a relay reaches both
    if ip in _NAT64:
        return "a NAT64", [_low_ipv4(ip)]
    if ip in _IPV4_COMPATIBLE and int(ip) > 1:
        return "an IPv4-compatible", [_low_ipv4(ip)]
    return None


def _kind_problem(ip: IPAddress) -> str | None:
    return next((problem for problem, refused in REFUSED_KINDS if refused(ip)), None)


def address_problem(address: str) -> str | None:
    """Return why an address must not be fetched from (e.g. "a loopback address"), or None if public.

    An IPv6 address that carries an IPv4 address (6to4, Teredo, NAT64, IPv4-mapped) is refused when any
    address it carries is, since a relay or translator would deliver the request there.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and (carried := embedded_ipv4(ip)) is not None:
        kind, inner = carried
        for v4 in inner:
            if (problem := _kind_problem(v4)) is not None:
                return f"{kind} address for {v4}, which is {problem}"
    return _kind_problem(ip)


_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_META_CHARSET = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([a-z0-9._:-]+)""", re.IGNORECASE)
_META_SCAN_BYTES = 4096
_DETECT_SAMPLE_BYTES = 64 * 1024
_WEB_LEGACY_ENCODINGS = (
    # The legacy encodings pages are actually written in (WHATWG's list, less the exotic ones): detection
    # picks among these, never an old DOS or Mac code page that merely scores well on accented Latin text.
    *("cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258"),
    *("iso8859_2", "iso8859_5", "iso8859_7", "iso8859_15", "koi8_r", "koi8_u"),
    *("shift_jis", "euc_jp", "iso2022_jp", "gb18030", "big5", "euc_kr"),
)


def _codec(label: str | None, *, from_meta: bool = False) -> str | None:
    """Return the Python codec for a declared charset label, as browsers read it; None if unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    if name in ("iso8859-1", "ascii"):
        return "cp1252"  # browsers read pages labelled Latin-1 or ASCII as windows-1252, a superset
    if from_meta and name.startswith("utf-16"):
        return "utf-8"  # a page that could be read far enough to find its <meta> is not UTF-16
    return name


def _detected_codec(body: bytes) -> str:
    """Guess the encoding of an undeclared page that is not valid UTF-8."""
    # Imported for the rare page that needs it: its compiled detector is ~1 MB resident.
    import charset_normalizer

    matches = charset_normalizer.from_bytes(
        body[:_DETECT_SAMPLE_BYTES], cp_isolation=list(_WEB_LEGACY_ENCODINGS)
    )
    best = matches.best()
    if best is None:
        return "cp1252"  # decodes any bytes; the web's default for undeclared Western pages
    # Short accented Latin text scores the same in several Western code pages; prefer the common one.
    tied = {m.encoding for m in matches if m.chaos <= best.chaos}
    return "cp1252" if "cp1252" in tied else best.encoding


def decode_page(body: bytes, header_charset: str | None, media: str) -> str:
    """Return a fetched body as text, honouring its BOM, header charset, <meta> charset, then detection."""
    codec = next((name for bom, name in _BOMS if body.startswith(bom)), None) or _codec(header_charset)
    if codec is None and media != "text/plain":
        found = _META_CHARSET.search(body[:_META_SCAN_BYTES])
        codec = _codec(found.group(1).decode("ascii"), from_meta=True) if found else None
    if codec is None:
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            codec = _detected_codec(body)
    return body.decode(codec, errors="replace")


class _PinnedResolver(AbstractResolver):
    """Answers for exactly one host with the one address that was checked; refuses any other name."""

    def __init__(self, host: str, address: str, port: int) -> None:
        self._host = host
        self._address = address
        self._port = port

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Return the pinned address for the pinned host."""
        if host != self._host:
            raise OSError(f"refusing to resolve unexpected host {host!r}")
        ip = ipaddress.ip_address(self._address)
        return [
            ResolveResult(
                hostname=host,
                host=self._address,
                port=self._port,
                family=socket.AF_INET6 if ip.version == 6 else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]

    async def close(self) -> None:
        """Nothing to release."""


class GuardedFetcher:
    """Fetch one web page at a time under the rules in the module docstring."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        limits: FetchLimits | None = None,
        resolver: Resolver = system_resolver,
        route: Route = _identity,
    ) -> None:
        self.allow_private = allow_private
        self.limits = limits or FetchLimits()
        self._resolve = resolver
        self._route = route

    async def fetch(self, url: str) -> FetchedPage:
        """Fetch a page following redirects hop by hop; raise FetchRefused with the reason."""
        try:
            async with asyncio.timeout(self.limits.timeout):
                return await self._follow(url)
        except TimeoutError:
            raise FetchRefused(
                f"The page took longer than {self.limits.timeout:g} s to arrive, so I gave up."
            ) from None

    async def _follow(self, url: str) -> FetchedPage:
        current = url
        for hop in range(self.limits.max_redirects + 1):
            host, port, address = await self._vet(current, redirected=hop > 0)
            page_or_next = await self._request(current, host, port, address)
            if isinstance(page_or_next, FetchedPage):
                return page_or_next
            current = page_or_next
        raise FetchRefused(f"The link redirects more than {self.limits.max_redirects} times, so I stopped.")

    async def _vet(self, url: str, *, redirected: bool) -> tuple[str, int, str]:
        """Check a URL and its DNS answers; return (host, port, the one address to connect to)."""
        where = "It redirects to" if redirected else "The link is"  # starts each refusal about the URL
        try:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise FetchRefused(f"{where} not a valid URL.") from None
        if parts.scheme not in ("http", "https"):
            raise FetchRefused(
                f"{where} a `{parts.scheme or 'schemeless'}` link; only http and https pages are fetched."
            )
        host = parts.hostname
        if not host:
            raise FetchRefused(f"{where} a URL without a host name.")
        if parts.username or parts.password:
            raise FetchRefused("Links with a user name or password in them are not fetched.")
        try:
            ipaddress.ip_address(host)
            addresses = [host]
        except ValueError:
            try:
                addresses = await self._resolve(host, port)
            except OSError:
                addresses = []
            if not addresses:
                raise FetchRefused(
                    f"I could not find the site `{host}` (its name does not resolve)."
                ) from None
        if not self.allow_private:
            for address in addresses:
                problem = address_problem(address)
                if problem is not None:
                    subject = f"`{host}` is" if address == host else f"`{host}` resolves to"
                    prefix = (
                        "It redirects somewhere I won't fetch from"
                        if redirected
                        else "I won't fetch that link"
                    )
                    raise FetchRefused(f"{prefix}: {subject} {problem} ({address}).")
        return host, port, addresses[0]

    async def _request(self, url: str, host: str, port: int, address: str) -> FetchedPage | str:
        """Make one request to the vetted address; return the page or the next URL to vet."""
        target, target_port = self._route(address, port)
        connector = aiohttp.TCPConnector(
            resolver=_PinnedResolver(host, target, target_port), use_dns_cache=False, force_close=True
        )
        # The URL keeps its host name, so the Host header and TLS server name are the site's own, while the
        # pinned resolver makes the socket go to the vetted address only.
        headers = {"User-Agent": USER_AGENT, "Accept": "text/html, application/xhtml+xml, text/plain;q=0.8"}
        try:
            async with (
                aiohttp.ClientSession(connector=connector, trust_env=False) as session,
                session.get(url, allow_redirects=False, headers=headers) as response,
            ):
                if response.status in (301, 302, 303, 307, 308):
                    location = response.headers.get("Location")
                    if not location:
                        raise FetchRefused(
                            f"The site answered a redirect ({response.status}) without saying where to."
                        )
                    return urljoin(url, location)
                if response.status >= 400:
                    raise FetchRefused(
                        f"The site answered {response.status} {response.reason or ''}".rstrip() + "."
                    )
                media = (response.content_type or "").lower()
                if media not in TEXT_TYPES:
                    kind = "a PDF" if media == "application/pdf" else f"`{media or 'unknown'}` content"
                    raise FetchRefused(
                        f"The link leads to {kind}, not a web page; only HTML or plain text is read."
                    )
                limit = self.limits.max_bytes
                if response.content_length is not None and response.content_length > limit:
                    raise FetchRefused(
                        f"The page is {response.content_length / 1_048_576:.1f} MB; I read at most {limit // 1_048_576} MB."
                    )
                body = bytearray()
                async for chunk in response.content.iter_chunked(64 * 1024):
                    body += chunk
                    if len(body) > limit:
                        raise FetchRefused(
                            f"The page is larger than {limit // 1_048_576} MB, so I stopped reading it."
                        )
                text = decode_page(bytes(body), response.charset, media)
                return FetchedPage(url=str(response.url), content_type=media, text=text)
        except aiohttp.ClientConnectorError:
            raise FetchRefused(f"I could not connect to `{host}`.") from None
        except aiohttp.ClientError as exc:
            raise FetchRefused(f"Fetching from `{host}` failed ({type(exc).__name__}).") from None
