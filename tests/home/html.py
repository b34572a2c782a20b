"""Read rendered HTML as a list of tags with their attributes, for layout assertions."""

from __future__ import annotations

from html.parser import HTMLParser


class _TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str | bytes) -> list[tuple[str, dict[str, str | None]]]:
    """Return every start tag in `html` with its attributes, in document order."""
    collector = _TagCollector()
    collector.feed(html.decode() if isinstance(html, bytes) else html)
    return collector.tags


def find(html: str | bytes, tag: str, **attrs: str) -> list[dict[str, str | None]]:
    """Return the attributes of each `tag` whose attributes include `attrs`."""
    return [
        found
        for name, found in tags_of(html)
        if name == tag and all(found.get(k.replace("_", "-")) == v for k, v in attrs.items())
    ]


def inline_code(html: str | bytes) -> list[str]:
    """Return what the CSP would block: inline scripts, style elements and style attributes."""
    problems = []
    for name, attrs in tags_of(html):
        if name == "script" and not attrs.get("src"):
            problems.append("inline <script>")
        if name == "style":
            problems.append("<style> element")
        if "style" in attrs:
            problems.append(f"style attribute on <{name}>")
        problems.extend(f"{a} handler on <{name}>" for a in attrs if a.startswith("on"))
    return problems
