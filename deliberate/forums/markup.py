"""From a member's Markdown to the HTML we store and send: CommonMark without raw HTML, then cleaned by nh3.

Two layers on purpose. markdown-it-py with `html=False` never passes raw HTML through, and nh3 (ammonia) then keeps
only a short list of tags and attributes, allows only http, https and mailto links (no `javascript:`), and marks
every link `rel="nofollow ugc noopener"` so the node lends no search ranking to spam. Images are not rendered:
loading them from other hosts would leak readers' addresses and cost prepaid data; an image proxy may come later.
"""

from __future__ import annotations

import html as html_lib

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable("image")

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote", "code", "pre", "h3", "h4", "h5", "h6", "hr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}


def render_markdown(source: str) -> str:
    html = _md.render(source)
    # Headings shrink by two levels: a post's "# Title" must not compete with the page's own h1 and h2.
    for level in (2, 1):
        html = html.replace(f"<h{level}>", f"<h{level + 2}>").replace(f"</h{level}>", f"</h{level + 2}>")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener",
    )


def remote_text(content_html: str) -> tuple[str, str]:
    """(text, html) for a post that came from another server with HTML and no Markdown source (Mastodon sends
    only HTML): the HTML is cleaned with the same rules as ours, and a plain-text copy stands in for the source
    (search and the edit history read it)."""
    html = nh3.clean(
        content_html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener",
    )
    spaced = html.replace("</p>", "</p>\n\n").replace("<br>", "\n")
    text = html_lib.unescape(nh3.clean(spaced, tags=set())).strip()
    return text, html


def highlight(snippet: str) -> str:
    """A search snippet (with \x01…\x02 marks from ts_headline) as safe HTML with <mark> elements."""
    escaped = html_lib.escape(snippet)
    return escaped.replace("\x01", "<mark>").replace("\x02", "</mark>").replace("\x03", " … ")
