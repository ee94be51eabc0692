"""Pages for a slow phone: every page reachable from the home page, signed in and out, stays under 30 KB of HTML
plus CSS once compressed, asks nothing of another host, and needs no script: the one script a page may load is
the small live-replies enhancement of thread pages (web/static/live.js, deferred), counted in the budget."""

from __future__ import annotations

import gzip
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from deliberate.clock import SystemClock
from deliberate.runtime.sample import VES, VMT, District, seed
from tests.conftest import Node, Visitor, cheap_passwords

BUDGET = 30 * 1024


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.fetched: list[str] = []  # what a browser would load by itself
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.hrefs.append(str(values["href"]))
        if tag == "script" and not (str(values.get("src") or "").startswith("/static/live.js?") and "defer" in values):
            self.scripts += 1
        if tag in ("img", "script", "iframe", "audio", "video", "source") and values.get("src"):
            self.fetched.append(str(values["src"]))
        if tag == "link" and values.get("rel") in ("stylesheet", "icon") and values.get("href"):
            self.fetched.append(str(values["href"]))


async def crawl(visitor: Visitor, limit: int = 60) -> dict[str, int]:
    """Compressed size of HTML+CSS per page, for pages reachable from / on this node."""
    base = visitor.node.base_url
    css = await (await visitor.get("/static/style.css")).read()
    css_size = len(gzip.compress(css))
    script_size = len(gzip.compress(await (await visitor.get("/static/live.js")).read()))
    seen: dict[str, int] = {}
    queue = ["/"]
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        response = await visitor.get(path)
        assert response.status == 200, (path, response.status)
        html = visitor.last_html
        seen[path] = len(gzip.compress(html.encode())) + css_size + (script_size if "/static/live.js" in html else 0)
        parser = Links()
        parser.feed(html)
        assert parser.scripts == 0, f"{path} has a script"
        for url in parser.fetched:
            target = urlsplit(urljoin(base + path, url))
            assert target.netloc == urlsplit(base).netloc, f"{path} loads {url} from another host"
        for href in parser.hrefs:
            target = urlsplit(urljoin(base + path, href))
            if target.netloc != urlsplit(base).netloc or target.path.startswith(("/static/", "/api/")):
                continue
            local = target.path + (f"?{target.query}" if target.query else "")
            if re.match(r"^/(p/\d+/edit|metrics|healthz)", local):
                continue
            queue.append(local)
    return seen


@pytest.mark.parametrize(("district", "member"), [(VES, "rosa.quispe"), (VMT, "maria.flores")], ids=["ves", "vmt"])
async def test_every_page_fits_a_prepaid_phone(node: Node, district: District, member: str) -> None:
    conn = await node.connect()
    async with conn.transaction():
        await seed(conn, district, clock=SystemClock(), passwords=cheap_passwords())
    await conn.close()
    visitors: list[Any] = [await node.visitor()]
    rosa = await node.visitor()
    assert (await rosa.login(member, "demo-clave-2026")).status == 200
    visitors.append(rosa)
    for visitor in visitors:
        sizes = await crawl(visitor)
        assert len(sizes) >= 8, sizes  # the crawl really walked the site
        print(f"{len(sizes)} pages, largest {max(sizes.values())} bytes compressed")
        heavy = {path: size for path, size in sizes.items() if size > BUDGET}
        assert not heavy, heavy
