"""Featured reviews from a web page served on 127.0.0.1 by the test, and every refusal with its reason.

Public-looking names are resolved only by an injected resolver and routed to the test's server, so no
test opens a socket to an address outside 127.0.0.1.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from cogs.reviews._fetch import FetchLimits

PUBLIC_LOOKING = "93.184.215.14"  # global, never dialled: the injected route sends it to 127.0.0.1
SERVER: dict[str, int] = {}
PARAGRAPHS = [
    f"Paragraph {i}: Shelley's creature learns speech by listening at a wall, and part {i} of this review "
    f"follows what that does to him. The cottagers never know they taught him. Review sentence {i}b ends here."
    for i in range(1, 31)
]
COMMENT = "COMMENTER SAYS this review is wrong about the ending"
BOILERPLATE = ("Share on Facebook", "Related posts", "Leave a Reply", "Post Comment", "Copyright 2024 Lamp")


def blog_html(paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!doctype html><html><head><title>Frankenstein, two centuries on | Lamp Reviews</title>
<meta name="author" content="Jo Lamp"><meta property="og:site_name" content="Lamp Reviews">
<meta property="article:published_time" content="2024-05-01"></head><body>
<header><nav><a href="/">Home</a> <a href="/about">About</a> <a href="/archive">Archive</a></nav></header>
<main><article><h1>Frankenstein, two centuries on</h1><p class="byline">By Jo Lamp</p>{body}
<div class="sharedaddy"><h3>Share this:</h3><a href="#">Share on Facebook</a> <a href="#">Share on X</a></div>
</article>
<aside class="related-posts"><h3>Related posts</h3><ul><li><a href="/dracula">Dracula at the opera</a></li></ul></aside>
<section id="comments" class="comments-area"><h2>2 thoughts on “Frankenstein, two centuries on”</h2>
<ol class="comment-list"><li class="comment"><div class="comment-body"><p>{COMMENT}</p></div></li>
<li class="comment"><div class="comment-body"><p>{COMMENT}</p></div></li></ol>
<div id="respond" class="comment-respond"><h3>Leave a Reply</h3><form id="commentform">
<textarea name="comment"></textarea><input type="submit" value="Post Comment"></form></div></section></main>
<footer>Copyright 2024 Lamp Reviews. Powered by a blog engine.</footer></body></html>"""


RELEASE = web.AppKey("release", asyncio.Event)


async def review_page(request: web.Request) -> web.Response:
    return web.Response(text=blog_html(PARAGRAPHS), content_type="text/html")


LATIN1_PARAGRAPHS = [
    f"Au café numéro {i}, on lit Frankenstein à voix haute; la créature apprend à parler derrière un mur, "
    f"et chacun à la table a son idée sur ce que cela lui coûte. Fin du paragraphe {i}."
    for i in range(1, 6)
]


async def latin1_page(request: web.Request) -> web.Response:
    """A Latin-1 page that says so only in a <meta charset>; the header names no charset."""
    body = "".join(f"<p>{p}</p>" for p in LATIN1_PARAGRAPHS)
    html = (
        '<!doctype html><html><head><meta charset="iso-8859-1"><title>Le café numéro un</title></head>'
        f"<body><main><article><h1>Le café numéro un</h1>{body}</article></main></body></html>"
    )
    return web.Response(body=html.encode("latin-1"), headers={"Content-Type": "text/html"})


async def empty_page(request: web.Request) -> web.Response:
    return web.Response(
        text="<html><body><nav>Home</nav><form>Log in</form></body></html>", content_type="text/html"
    )


async def to_private(request: web.Request) -> web.Response:
    raise web.HTTPFound("http://admin.internal.example/")


async def to_6to4(request: web.Request) -> web.Response:
    raise web.HTTPFound("http://[2002:7f00:1::]/review")  # 6to4 for 127.0.0.1


async def huge(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/html"})
    await response.prepare(request)
    chunk = b"<p>" + b"y" * 65_536 + b"</p>"
    try:
        for _ in range(50 * 16):  # 50 MB in 64 KB pieces, unless the reader hangs up first
            await response.write(chunk)
    except ConnectionError:
        pass
    return response


async def pdf(request: web.Request) -> web.Response:
    return web.Response(body=b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", content_type="application/pdf")


async def slow(request: web.Request) -> web.Response:
    await request.app[RELEASE].wait()
    return web.Response(text="too late", content_type="text/html")


@pytest.fixture
async def blog() -> AsyncIterator[str]:
    """A small blog on 127.0.0.1; returns its base URL."""
    app = web.Application()
    app[RELEASE] = asyncio.Event()
    app.add_routes(
        [
            web.get("/2024/frankenstein", review_page),
            web.get("/empty", empty_page),
            web.get("/latin1", latin1_page),
            web.get("/moved", to_private),
            web.get("/moved-6to4", to_6to4),
            web.get("/huge", huge),
            web.get("/paper.pdf", pdf),
            web.get("/slow", slow),
        ]
    )
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    SERVER["port"] = runner.addresses[0][1]
    yield f"http://127.0.0.1:{SERVER['port']}"
    app[RELEASE].set()
    await runner.cleanup()


async def _names(host: str, port: int) -> list[str]:
    return {"lamp-reviews.example": [PUBLIC_LOOKING], "admin.internal.example": ["10.0.0.5"]}.get(host, [])


def _to_test_server(address: str, port: int) -> tuple[str, int]:
    assert address == PUBLIC_LOOKING, address  # only the vetted public-looking address is ever routed
    return "127.0.0.1", SERVER["port"]


INJECTED = {
    "review_fetch_options": {
        "allow_private": False,
        "resolver": _names,
        "route": _to_test_server,
        "limits": FetchLimits(timeout=1.0),
    }
}


@pytest.fixture
def bot_env() -> dict[str, str]:
    """The test blog is on 127.0.0.1, so these tests run with private addresses allowed."""
    return {"REVIEW_FETCH_ALLOW_PRIVATE": "true"}


def posts(club, channel):
    return [m for m in club.bot_messages(channel) if not m.ephemeral]


def visible_text(club, member) -> str:
    return club.text_member_sees(member, reveal_spoilers=False).replace("\\", "")


async def test_url_review_posts_an_excerpt_with_source_title_author_site_and_link(
    club, admin, alice, catalog, store, announcements, blog
):
    url = f"{blog}/2024/frankenstein"
    reply = await admin.slash("review feature", url=url, title="Frankenstein (1818)", rating=4)
    assert reply.ephemeral and "Posted an excerpt of the review of *Frankenstein (1818)*" in reply.content, (
        reply.content
    )
    [post] = posts(club, announcements)
    embed = post.embed
    assert embed["title"].replace("\\", "") == "Frankenstein, two centuries on"
    assert embed["url"] == url and embed["author"]["name"] == "Jo Lamp"
    fields = {f["name"]: f["value"].replace("\\", "") for f in embed["fields"]}
    assert fields["Source"] == f"[Lamp Reviews]({url}) (an excerpt: read the rest there)"
    assert fields["Rating"] == "★★★★☆ 4/5" and fields["Spoilers"] == "No spoilers"
    assert "Published 2024-05-01" in embed["footer"]["text"]
    excerpt = embed["description"]
    assert excerpt.startswith(PARAGRAPHS[0]) and len(excerpt) <= 1000 and excerpt.endswith(".")
    assert PARAGRAPHS[-1] not in excerpt
    seen = visible_text(club, alice)
    assert COMMENT not in seen and not any(b in seen for b in BOILERPLATE)
    assert [b.label for b in post.buttons] == ["📖 I read it", "I'm reading…"]
    [review] = await store.db.fetch_all("SELECT source_url, kind, body FROM reviews")
    assert (review["source_url"], review["kind"]) == (url, "featured")
    assert review["body"] == excerpt  # only what was posted is kept of someone else's page


async def test_url_review_full_posts_every_paragraph_and_never_a_comment(
    club, admin, alice, catalog, announcements, blog
):
    reply = await admin.slash(
        "review feature", url=f"{blog}/2024/frankenstein", title="Frankenstein (1818)", full=True
    )
    assert "Posted the whole text" in reply.content, reply.content
    text = "\n".join(e.get("description", "") for p in posts(club, announcements) for e in p.embeds)
    for paragraph in PARAGRAPHS:
        assert paragraph in text
    assert text.count(PARAGRAPHS[3]) == 1
    seen = visible_text(club, alice)
    assert COMMENT not in seen and not any(b in seen for b in BOILERPLATE)


async def test_latin1_page_declared_only_in_meta_is_posted_as_written(
    club, admin, alice, catalog, store, announcements, blog
):
    reply = await admin.slash("review feature", url=f"{blog}/latin1", title="Frankenstein (1818)", full=True)
    assert "Posted the whole text" in reply.content, reply.content
    [post] = posts(club, announcements)
    assert post.embed["title"].replace("\\", "") == "Le café numéro un"
    text = post.embed["description"].replace("\\", "")
    assert "Au café numéro 1, on lit Frankenstein à voix haute" in text and "\ufffd" not in text, text
    assert all(p in text for p in LATIN1_PARAGRAPHS)
    assert "café numéro 5" in visible_text(club, alice)
    [review] = await store.db.fetch_all("SELECT body FROM reviews")
    assert "Au café numéro 1" in review["body"] and "\ufffd" not in review["body"]


async def test_url_review_with_spoilers_hides_the_text(club, admin, alice, catalog, announcements, blog):
    await admin.slash(
        "review feature", url=f"{blog}/2024/frankenstein", title="Frankenstein (1818)", spoilers=True
    )
    [post] = posts(club, announcements)
    assert "Frankenstein (whole book)" in post.embed["fields"][-2]["value"].replace("\\", "") or any(
        "Frankenstein (whole book)" in f["value"].replace("\\", "") for f in post.embed["fields"]
    )
    assert "Paragraph 1:" not in visible_text(club, alice)
    assert "Paragraph 1:" in club.text_member_sees(alice)


async def test_page_without_an_article_and_unreachable_site_change_nothing(
    club, admin, catalog, store, announcements, blog
):
    cases = [
        ({"url": f"{blog}/empty", "title": "Frankenstein (1818)"}, "I found no article on that page"),
        (
            {"url": "http://127.0.0.1:9/review", "title": "Frankenstein (1818)"},
            "I could not connect to `127.0.0.1`",
        ),
        ({"url": f"{blog}/2024/frankenstein"}, "say which catalog title"),
        ({"url": f"{blog}/2024/frankenstein", "title": "Zzyzx Road Atlas"}, "No title called"),
        (
            {"url": f"{blog}/2024/frankenstein", "title": "Frankenstein (1818)", "rating": 6.0},
            "0.5 to 5 stars",
        ),
    ]
    for options, expected in cases:
        reply = await admin.slash("review feature", **options)
        assert reply.ephemeral and expected in reply.content, (options, reply.content)
    assert posts(club, announcements) == []
    assert await store.db.fetch_all("SELECT * FROM reviews") == []


@pytest.mark.parametrize("bot_env", [{}])  # the setting off, as in production
async def test_private_addresses_are_refused_with_the_setting_off(club, admin, catalog, store, announcements):
    cases = [
        ("http://127.0.0.1/review", "`127.0.0.1` is a loopback address"),
        ("http://[::1]/review", "`::1` is a loopback address"),
        ("http://169.254.169.254/latest/meta-data/", "`169.254.169.254` is a link-local address"),
        ("file:///etc/passwd", "only http and https"),
    ]
    for url, reason in cases:
        reply = await admin.slash("review feature", url=url, title="Frankenstein (1818)")
        assert reply.ephemeral and reason in reply.content and "Nothing was posted" in reply.content, (
            reply.content
        )
    assert posts(club, announcements) == []
    assert await store.db.fetch_all("SELECT * FROM reviews") == []


@pytest.mark.parametrize("bot_options", [INJECTED])
async def test_refusals_through_an_injected_resolver(club, admin, catalog, store, announcements, blog):
    cases = [
        (
            "/moved",
            "It redirects somewhere I won't fetch from: `admin.internal.example` resolves to a private network address (10.0.0.5).",
        ),
        (
            "/moved-6to4",
            "It redirects somewhere I won't fetch from: `2002:7f00:1::` is a 6to4 address for 127.0.0.1, "
            "which is a loopback address (this machine) (2002:7f00:1::).",
        ),
        ("/huge", "The page is larger than 2 MB, so I stopped reading it."),
        ("/paper.pdf", "The link leads to a PDF, not a web page"),
        ("/slow", "The page took longer than 1 s to arrive"),
    ]
    for path, reason in cases:
        reply = await admin.slash(
            "review feature", url=f"http://lamp-reviews.example{path}", title="Frankenstein (1818)"
        )
        assert reply.ephemeral and reason in reply.content, (path, reply.content)
    # The same fetcher reads the real page from the public-looking name.
    ok = await admin.slash(
        "review feature", url="http://lamp-reviews.example/2024/frankenstein", title="Frankenstein (1818)"
    )
    assert "Posted an excerpt" in ok.content, ok.content
    assert len(posts(club, announcements)) == 1
