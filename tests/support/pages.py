"""A signed-in browser without JavaScript: session cookie, CSRF token, forms and redirects."""

from __future__ import annotations

from tests.support.world import PASSWORD

from entente import auth


class Browser:
    """A signed-in browser: its session cookie and CSRF token."""

    def __init__(self, world, cookie: str, csrf: str) -> None:
        self.world, self.headers, self.csrf = world, {"Cookie": f"entente_session={cookie}"}, csrf

    async def get(self, path: str, status: int = 200) -> str:
        response = await self.world.client.get(path, headers=self.headers, allow_redirects=False)
        text = await response.text()
        assert response.status == status, text
        return text

    async def post(self, path: str, fields: dict[str, str], status: int = 303):
        data = {"csrf_token": self.csrf, **fields}
        response = await self.world.client.post(path, data=data, headers=self.headers, allow_redirects=False)
        text = await response.text()
        assert response.status == status, text
        return response, text


async def browser(world, username: str) -> Browser:
    async with world.sessions() as session:  # auth.login runs its own short transactions
        cookie, row, _ = await auth.login(
            session,
            username=username,
            password=PASSWORD,
            client="test",
            now=world.clock(),
            session_minutes=60,
            max_failures=5,
            window_seconds=300,
        )
    return Browser(world, cookie, row.csrf_token)


def form_values(page: str, form_id: str) -> dict[str, str]:
    """What a browser would submit from the form ``form_id`` of ``page`` as it stands (no button pressed):
    text and hidden inputs, ticked checkboxes and radios, text areas, and each select's chosen option."""
    from html.parser import HTMLParser

    class Reader(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.inside = False
            self.values: dict[str, str] = {}
            self.textarea: str | None = None
            self.select: str | None = None
            self.first_option: str | None = None

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            a = {k: v or "" for k, v in attrs}
            if tag == "form":
                self.inside = a.get("id") == form_id
            if not self.inside or a.get("disabled") is not None and "disabled" in a:
                return
            name = a.get("name")
            if tag == "input" and name and a.get("type", "text") not in ("submit", "button"):
                if a.get("type") in ("checkbox", "radio"):
                    if "checked" in a:
                        self.values[name] = a.get("value") or "on"
                else:
                    self.values[name] = a.get("value", "")
            elif tag == "textarea" and name:
                self.textarea = name
                self.values[name] = ""
            elif tag == "select" and name:
                self.select, self.first_option = name, None
            elif tag == "option" and self.select:
                if self.first_option is None:
                    self.first_option = a.get("value", "")
                    self.values.setdefault(self.select, self.first_option)
                if "selected" in a:
                    self.values[self.select] = a.get("value", "")

        def handle_endtag(self, tag: str) -> None:
            if tag == "form":
                self.inside = False
            elif tag == "textarea":
                self.textarea = None
            elif tag == "select":
                self.select = None

        def handle_data(self, data: str) -> None:
            if self.inside and self.textarea:
                self.values[self.textarea] += data

    reader = Reader()
    reader.feed(page)
    return reader.values
