"""The guarded fetcher against a real HTTP server on 127.0.0.1; public-looking names are only ever
resolved by an injected resolver and routed to that server, so no socket leaves this machine."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from cogs.reviews._fetch import FetchLimits, FetchRefused, GuardedFetcher, address_problem, decode_page

PUBLIC_LOOKING = "93.184.215.14"  # a global address, never dialled: the route sends it to 127.0.0.1


async def page(request: web.Request) -> web.Response:
    return web.Response(
        text="<html><body><p>Hello from the blog.</p></body></html>", content_type="text/html"
    )


async def huge(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/html"})
    await response.prepare(request)
    chunk = b"<p>" + b"x" * 65_536 + b"</p>"
    sent = 0
    try:
        while sent < 50 * 1024 * 1024:
            await response.write(chunk)
            sent += len(chunk)
    except ConnectionError:
        pass  # the fetcher hung up once it had read enough
    return response


async def huge_declared(request: web.Request) -> web.Response:
    return web.Response(
        body=b"x" * 10, headers={"Content-Type": "text/html", "Content-Length": str(50 * 1024 * 1024)}
    )


async def pdf(request: web.Request) -> web.Response:
    return web.Response(body=b"%PDF-1.7\n", content_type="application/pdf")


RELEASE = web.AppKey("release", asyncio.Event)


async def slow(request: web.Request) -> web.Response:
    await request.app[RELEASE].wait()  # released when the test ends, so teardown never waits
    return web.Response(text="late", content_type="text/html")


async def to_private(request: web.Request) -> web.Response:
    raise web.HTTPFound("http://intranet.example/admin")


async def to_6to4(request: web.Request) -> web.Response:
    raise web.HTTPFound("http://[2002:7f00:1::]/")  # 6to4 for 127.0.0.1


async def to_page(request: web.Request) -> web.Response:
    raise web.HTTPFound("/page")


async def loop_forever(request: web.Request) -> web.Response:
    raise web.HTTPFound("/loop")


async def echo_host(request: web.Request) -> web.Response:
    return web.Response(text=f"host={request.host}", content_type="text/plain")


@pytest.fixture
async def server() -> AsyncIterator[tuple[web.AppRunner, int]]:
    app = web.Application()
    app[RELEASE] = asyncio.Event()
    app.add_routes(
        [
            web.get("/page", page),
            web.get("/huge", huge),
            web.get("/huge-declared", huge_declared),
            web.get("/paper.pdf", pdf),
            web.get("/slow", slow),
            web.get("/to-private", to_private),
            web.get("/to-6to4", to_6to4),
            web.get("/to-page", to_page),
            web.get("/loop", loop_forever),
            web.get("/host", echo_host),
        ]
    )
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield runner, port
    app[RELEASE].set()
    await runner.cleanup()


def fetcher_for(
    port: int, names: dict[str, list[str]], **options
) -> tuple[GuardedFetcher, list[tuple[str, int]]]:
    """A fetcher whose DNS is `names` and whose sockets all go to the test server on 127.0.0.1."""
    dialled: list[tuple[str, int]] = []

    async def resolver(host: str, _port: int) -> list[str]:
        return names.get(host, [])

    def route(address: str, _port: int) -> tuple[str, int]:
        dialled.append((address, _port))
        return "127.0.0.1", port

    return GuardedFetcher(resolver=resolver, route=route, **options), dialled


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/review", "a loopback address (this machine) (127.0.0.1)"),
        ("http://[::1]/review", "a loopback address (this machine) (::1)"),
        ("http://169.254.169.254/latest/meta-data/", "a link-local address"),
        ("http://10.1.2.3/", "a private network address"),
        ("http://224.0.0.1/", "a multicast address"),
        ("http://[::ffff:127.0.0.1]/", "a loopback address"),
        ("http://[2002:7f00:1::]/", "a 6to4 address for 127.0.0.1, which is a loopback address"),
        ("http://[2002:a9fe:a9fe::]/", "a 6to4 address for 169.254.169.254, which is a link-local"),
        ("http://[2001:0:7f00:1::]/", "a Teredo address for 127.0.0.1, which is a loopback"),
        ("http://[2001:0:808:808::80ff:fffe]/", "a Teredo address for 127.0.0.1, which is a loopback"),
        ("http://[64:ff9b::a00:5]/", "a NAT64 address for 10.0.0.5, which is a private network"),
        ("http://[::7f00:1]/", "an IPv4-compatible address for 127.0.0.1, which is a loopback"),
        ("http://0.0.0.0/", "an unspecified address"),
        ("ftp://example.org/review.txt", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("http://user:pw@blog.example/", "user name or password"),
    ],
)
async def test_refusals_before_any_connection(url, reason):
    fetcher, dialled = fetcher_for(1, {"blog.example": [PUBLIC_LOOKING]})
    with pytest.raises(FetchRefused) as refused:
        await fetcher.fetch(url)
    assert reason in refused.value.message
    assert dialled == []


async def test_every_dns_answer_is_checked():
    fetcher, dialled = fetcher_for(1, {"mixed.example": [PUBLIC_LOOKING, "192.168.1.20"]})
    with pytest.raises(
        FetchRefused, match=r"`mixed\.example` resolves to a private network address \(192\.168\.1\.20\)"
    ):
        await fetcher.fetch("http://mixed.example/")
    assert dialled == []
    unknown, _ = fetcher_for(1, {})
    with pytest.raises(FetchRefused, match="does not resolve"):
        await unknown.fetch("http://nowhere.example/")


async def test_public_name_is_fetched_from_the_vetted_address_with_its_own_host_header(server):
    _, port = server
    fetcher, dialled = fetcher_for(port, {"blog.example": [PUBLIC_LOOKING]})
    fetched = await fetcher.fetch("http://blog.example/host")
    assert fetched.text == "host=blog.example" and fetched.content_type == "text/plain"
    assert dialled == [(PUBLIC_LOOKING, 80)]
    followed = await fetcher.fetch("http://blog.example/to-page")
    assert "Hello from the blog." in followed.text
    assert dialled[-2:] == [(PUBLIC_LOOKING, 80), (PUBLIC_LOOKING, 80)]


async def test_redirect_to_a_private_address_is_refused(server):
    _, port = server
    fetcher, dialled = fetcher_for(port, {"blog.example": [PUBLIC_LOOKING], "intranet.example": ["10.0.0.5"]})
    with pytest.raises(FetchRefused) as refused:
        await fetcher.fetch("http://blog.example/to-private")
    assert refused.value.message == (
        "It redirects somewhere I won't fetch from: `intranet.example` resolves to a private network address (10.0.0.5)."
    )
    assert dialled == [(PUBLIC_LOOKING, 80)]  # the private address was never dialled


async def test_redirect_to_a_6to4_address_for_loopback_is_refused(server):
    _, port = server
    fetcher, dialled = fetcher_for(port, {"blog.example": [PUBLIC_LOOKING]})
    with pytest.raises(FetchRefused) as refused:
        await fetcher.fetch("http://blog.example/to-6to4")
    assert refused.value.message == (
        "It redirects somewhere I won't fetch from: `2002:7f00:1::` is a 6to4 address for 127.0.0.1, "
        "which is a loopback address (this machine) (2002:7f00:1::)."
    )
    assert dialled == [(PUBLIC_LOOKING, 80)]  # 2002:7f00:1:: was never dialled


async def test_redirect_loops_stop(server):
    _, port = server
    fetcher, _ = fetcher_for(port, {"blog.example": [PUBLIC_LOOKING]}, limits=FetchLimits(max_redirects=3))
    with pytest.raises(FetchRefused, match="redirects more than 3 times"):
        await fetcher.fetch("http://blog.example/loop")


async def test_a_50_mb_page_is_cut_off_while_streaming(server):
    _runner, port = server
    fetcher, _ = fetcher_for(port, {"blog.example": [PUBLIC_LOOKING]})
    with pytest.raises(FetchRefused, match="larger than 2 MB, so I stopped reading it"):
        await fetcher.fetch("http://blog.example/huge")
    with pytest.raises(FetchRefused, match=r"The page is 50\.0 MB; I read at most 2 MB"):
        await fetcher.fetch("http://blog.example/huge-declared")


async def test_pdf_and_slow_pages_are_refused(server):
    _, port = server
    fetcher, _ = fetcher_for(port, {"blog.example": [PUBLIC_LOOKING]}, limits=FetchLimits(timeout=0.5))
    with pytest.raises(FetchRefused, match="leads to a PDF, not a web page"):
        await fetcher.fetch("http://blog.example/paper.pdf")
    with pytest.raises(FetchRefused, match=r"took longer than 0\.5 s"):
        await fetcher.fetch("http://blog.example/slow")


async def test_private_addresses_allowed_by_the_setting(server):
    _, port = server
    fetcher = GuardedFetcher(allow_private=True)
    fetched = await fetcher.fetch(f"http://127.0.0.1:{port}/page")
    assert "Hello from the blog." in fetched.text
    refused = GuardedFetcher()
    with pytest.raises(FetchRefused, match="loopback"):
        await refused.fetch(f"http://127.0.0.1:{port}/page")


def test_public_addresses_pass():
    assert address_problem("93.184.215.14") is None
    assert address_problem("2606:4700::1111") is None
    assert address_problem("2002:5db8:d70e::1") is None  # 6to4 for the public 93.184.215.14
    assert address_problem("100.64.0.1") == "a reserved address"  # carrier-grade NAT is not public


LATIN1 = '<html><head><meta charset="iso-8859-1"></head><body><p>café numéro</p></body></html>'


@pytest.mark.parametrize(
    ("body", "header", "media", "expected"),
    [
        (LATIN1.encode("latin-1"), None, "text/html", LATIN1),  # only the <meta charset>
        (  # the older http-equiv form; iso-8859-1 is read as windows-1252, as browsers do
            b'<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1"><p>caf\xe9 \x93ok\x94',
            None,
            "text/html",
            '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1"><p>café “ok”',
        ),
        (
            "<meta charset=utf-8><p>обзор".encode("cp1251"),
            "windows-1251",
            "text/html",
            "<meta charset=utf-8><p>обзор",
        ),
        (b"\xef\xbb\xbf<p>caf\xc3\xa9", "iso-8859-1", "text/html", "<p>café"),  # a BOM beats the header
        ('<meta charset="utf-16"><p>café'.encode(), None, "text/html", '<meta charset="utf-16"><p>café'),
        ("<p>café numéro".encode(), None, "text/html", "<p>café numéro"),  # undeclared, valid UTF-8
        (
            "Un café numéro deux, très bien.".encode("latin-1"),
            None,
            "text/plain",
            "Un café numéro deux, très bien.",
        ),
        (
            "Обзор книги о войне и мире, очень длинной книги.".encode("cp1251"),
            "bogus",
            "text/plain",
            "Обзор книги о войне и мире, очень длинной книги.",
        ),
    ],
)
def test_pages_are_decoded_by_bom_header_meta_then_detection(body, header, media, expected):
    assert decode_page(body, header, media) == expected
