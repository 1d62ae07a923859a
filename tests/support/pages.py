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
