"""Signing in, sessions and CSRF, API tokens, roles."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from entente import auth
from entente.auth import Caller
from entente.errors import PermissionDeniedError
from entente.models import Role
from tests.support.http import assert_problem
from tests.support.world import PASSWORD

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


async def login(client, username: str, password: str = PASSWORD):
    form = await client.get("/login")
    csrf = CSRF_FIELD.search(await form.text()).group(1)
    return await client.post("/login", data={"username": username, "password": password, "csrf_token": csrf},
                             allow_redirects=False)


async def test_login_sets_a_strict_httponly_session_cookie_and_opens_the_dashboard(world) -> None:
    response = await login(world.client, "ee.drafter")
    assert response.status == 303
    assert response.headers["Location"] == "/dashboard"
    cookie = response.cookies["entente_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    assert not cookie["secure"]  # plain HTTP in tests; Secure behind TLS
    dashboard = await world.client.get("/dashboard")
    assert dashboard.status == 200
    text = await dashboard.text()
    assert "Republic of Estonia" in text and "ee.drafter" in text
    me = await world.client.get("/api/v1/me")
    assert (await me.json())["authenticated_by"] == "session"


async def test_dashboard_without_a_session_redirects_to_login(client) -> None:
    response = await client.get("/dashboard", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"].startswith("/login?next=/dashboard")


async def test_wrong_password_is_refused_and_audited(world) -> None:
    response = await login(world.client, "ee.drafter", "wrong password!")
    assert response.status == 401
    assert "wrong username or password" in await response.text()
    from entente import audit

    async with world.sessions() as session:
        events = [e.event for e in await audit.list_entries(session)]
    assert "auth:login:fail" in events


async def test_repeated_failures_answer_429_with_retry_after_even_for_the_right_password(world, settings) -> None:
    for _ in range(settings.auth.login_max_failures):
        assert (await login(world.client, "fr.drafter", "not the password")).status == 401
    blocked = await login(world.client, "fr.drafter")
    assert blocked.status == 429
    assert 0 < int(blocked.headers["Retry-After"]) <= settings.auth.login_window_seconds + 1
    world.clock.advance(timedelta(seconds=settings.auth.login_window_seconds + 1))
    assert (await login(world.client, "fr.drafter")).status == 303


async def test_login_form_without_csrf_token_is_refused(world) -> None:
    await world.client.get("/login")
    response = await world.client.post("/login", data={"username": "ee.drafter", "password": PASSWORD})
    assert response.status == 403
    assert "csrf_token_invalid" in await response.text()


async def test_cookie_authenticated_writes_need_the_csrf_token(world) -> None:
    await login(world.client, "ee.drafter")
    refused = await world.client.post("/api/v1/tokens", json={"name": "x"})
    await assert_problem(refused, 403, "csrf_token_invalid")
    page = await world.client.get("/account/tokens")
    csrf = CSRF_FIELD.search(await page.text()).group(1)
    accepted = await world.client.post("/api/v1/tokens", json={"name": "x"}, headers={"X-CSRF-Token": csrf})
    assert accepted.status == 201
    async with world.sessions() as session:
        user = await auth.get_user(session, "ee.drafter")
        # The token seeded with the coalition, then the accepted one: the refused write made none.
        assert [t.name for t in await auth.list_tokens(session, user.id)] == ["test", "x"]


async def test_logout_ends_the_session(world) -> None:
    await login(world.client, "ee.drafter")
    page = await world.client.get("/dashboard")
    csrf = CSRF_FIELD.search(await page.text()).group(1)
    out = await world.client.post("/logout", data={"csrf_token": csrf}, allow_redirects=False)
    assert out.status == 303
    assert (await world.client.get("/dashboard", allow_redirects=False)).status == 303


async def test_token_is_shown_once_stored_hashed_and_revocable(world) -> None:
    headers = await world.token("ee.drafter")
    created = await world.client.post("/api/v1/tokens", json={"name": "release script", "days": 7}, headers=headers)
    assert created.status == 201
    body = await created.json()
    secret = body["token"]
    assert secret.startswith("ent_") and len(secret) > 40
    listed = await (await world.client.get("/api/v1/tokens", headers=headers)).json()
    assert all("token" not in t for t in listed)
    async with world.sessions() as session:
        user = await auth.get_user(session, "ee.drafter")
        stored = [t.token_hash for t in await auth.list_tokens(session, user.id)]
    assert secret not in stored
    mine = {"Authorization": f"Bearer {secret}"}
    assert (await world.client.get("/api/v1/me", headers=mine)).status == 200
    revoked = await world.client.delete(f"/api/v1/tokens/{body['id']}", headers=headers)
    assert (await revoked.json())["revoked_at"]
    await assert_problem(await world.client.get("/api/v1/me", headers=mine), 401, "token_revoked")


async def test_expired_token_is_refused(world) -> None:
    headers = await world.token("ee.drafter")
    world.clock.advance(timedelta(days=31))
    await assert_problem(await world.client.get("/api/v1/me", headers=headers), 401, "token_expired")


@pytest.mark.parametrize("value", ["Bearer ent_nope", "Basic dXNlcjpwYXNz", "Bearer ", "Bearer nottoken"])
async def test_bad_authorization_headers_are_refused(client, value) -> None:
    response = await client.get("/api/v1/me", headers={"Authorization": value})
    await assert_problem(response, 401, "token_invalid")


async def test_only_the_secretariat_adds_users_and_unknown_parties_are_refused(world) -> None:
    user = {"username": "ee.second", "display_name": "Second", "party": "EE", "roles": ["drafter"]}
    drafter = await world.token("ee.drafter")
    await assert_problem(await world.client.post("/api/v1/users", json=user, headers=drafter), 403, "role_required")
    secretariat = await world.token("eu.secretariat")
    bad = await world.client.post("/api/v1/users", json=user | {"party": "XX"}, headers=secretariat)
    await assert_problem(bad, 422, "unknown_party")
    bad_role = await world.client.post("/api/v1/users", json=user | {"roles": ["king"]}, headers=secretariat)
    await assert_problem(bad_role, 422, "invalid_input")
    ok = await world.client.post("/api/v1/users", json=user, headers=secretariat)
    assert ok.status == 201


def test_party_and_role_checks() -> None:
    drafter = Caller(1, "ee.drafter", "d", "EE", frozenset({Role.DRAFTER}), "token")
    secretariat = Caller(2, "eu.sec", "s", "EU", frozenset({Role.SECRETARIAT}), "token")
    assert auth.require_party_role(drafter, "EE", Role.DRAFTER) is drafter
    assert auth.require_party_role(secretariat, "EE", Role.DRAFTER) is secretariat
    with pytest.raises(PermissionDeniedError, match="only users of FR"):
        auth.require_party_role(drafter, "FR", Role.DRAFTER)
    with pytest.raises(PermissionDeniedError, match="signatory"):
        auth.require_party_role(drafter, "EE", Role.SIGNATORY)


async def test_revocation_elsewhere_takes_effect_within_the_cache_lifetime(world, settings) -> None:
    """Another instance revoking a token (a direct database change here) is seen within auth.cache_seconds."""
    import sqlalchemy as sa

    headers = await world.token("ee.drafter")
    assert (await world.client.get("/api/v1/me", headers=headers)).status == 200
    async with world.sessions.begin() as session:
        await session.execute(sa.text("UPDATE api_token SET revoked_at = created_at"))
    world.clock.advance(timedelta(seconds=settings.auth.cache_seconds))
    await assert_problem(await world.client.get("/api/v1/me", headers=headers), 401, "token_revoked")


@pytest.mark.parametrize("token_id", ["999999999999", "2147483648", "12abc", "٣"])
async def test_revoking_an_impossible_token_id_answers_404(world, token_id) -> None:
    headers = await world.token("ee.drafter")
    await assert_problem(await world.client.delete(f"/api/v1/tokens/{token_id}", headers=headers), 404, "not_found")


# --- the sign-in limit under parallel attack (issue 11, item 1) ------------------------------------


async def _burst(clients, username: str, passwords: list[str]) -> list[int]:
    """Post ``passwords`` for ``username`` all at once, spread over ``clients`` (server instances)."""
    import asyncio

    forms = []
    for index in range(len(passwords)):
        client = clients[index % len(clients)]
        page = await client.get("/login")
        forms.append((client, CSRF_FIELD.search(await page.text()).group(1)))

    async def attempt(index: int, password: str) -> int:
        client, csrf = forms[index]
        response = await client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": csrf},
            allow_redirects=False,
        )
        return response.status

    return list(await asyncio.gather(*(attempt(i, p) for i, p in enumerate(passwords))))


async def test_a_parallel_burst_across_two_instances_runs_at_most_the_limit_of_password_checks(
    world, aiohttp_client, settings, monkeypatch
) -> None:
    from entente.app import create_app

    second = await aiohttp_client(create_app(settings, clock=world.clock))
    checks = 0
    real_check = auth.check_password

    async def counted(password_hash, password):
        nonlocal checks
        checks += 1
        return await real_check(password_hash, password)

    monkeypatch.setattr(auth.users, "check_password", counted)
    limit = settings.auth.login_max_failures
    statuses = await _burst([world.client, second], "fr.drafter", ["not the password"] * 30)
    assert checks <= limit, statuses
    assert statuses.count(401) == checks
    assert statuses.count(429) == 30 - checks
    # The right password after the burst, on either instance, is refused without being checked.
    assert (await login(world.client, "fr.drafter")).status == 429
    assert (await login(second, "fr.drafter")).status == 429
    assert checks <= limit


async def test_argon2_runs_outside_any_database_transaction(world, monkeypatch) -> None:
    from sqlalchemy.orm.session import _sessions

    real_check = auth.check_password
    open_during_check: list[bool] = []

    async def watched(password_hash, password):
        open_during_check.append(any(s.in_transaction() for s in list(_sessions.values())))
        return await real_check(password_hash, password)

    monkeypatch.setattr(auth.users, "check_password", watched)
    assert (await login(world.client, "ee.drafter", "not the password")).status == 401
    assert (await login(world.client, "ee.drafter")).status == 303
    assert open_during_check == [False, False]


async def test_a_successful_sign_in_clears_the_count(world, settings) -> None:
    for _ in range(settings.auth.login_max_failures - 1):
        assert (await login(world.client, "fr.drafter", "not the password")).status == 401
    assert (await login(world.client, "fr.drafter")).status == 303
    world.client.session.cookie_jar.clear()
    for _ in range(settings.auth.login_max_failures - 1):
        assert (await login(world.client, "fr.drafter", "not the password")).status == 401
    assert (await login(world.client, "fr.drafter")).status == 303


@pytest.mark.parametrize(
    "next_url",
    [
        "/\t/evil.example/",
        "/\n/evil.example/",
        "/\r\n/evil.example/",
        "\t//evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "https://evil.example/",
        " /dashboard",
        "/\x7f/evil.example/",
    ],
)
async def test_next_after_sign_in_never_leaves_the_site(world, next_url) -> None:
    page = await world.client.get("/login")
    csrf = CSRF_FIELD.search(await page.text()).group(1)
    response = await world.client.post(
        "/login",
        data={"username": "ee.drafter", "password": PASSWORD, "csrf_token": csrf, "next": next_url},
        allow_redirects=False,
    )
    assert response.status == 303
    assert response.headers["Location"] == "/dashboard"


async def test_next_after_sign_in_keeps_a_same_site_path(world) -> None:
    page = await world.client.get("/login")
    csrf = CSRF_FIELD.search(await page.text()).group(1)
    response = await world.client.post(
        "/login",
        data={"username": "ee.drafter", "password": PASSWORD, "csrf_token": csrf, "next": "/account/tokens?x=1"},
        allow_redirects=False,
    )
    assert response.headers["Location"] == "/account/tokens?x=1"


async def test_passwords_are_hashed_with_argon2id_at_the_recommended_cost() -> None:
    """The suite's shared test password is hashed cheaply (tests/conftest.py); real ones are not."""
    import argon2

    parameters = argon2.extract_parameters(await auth.hash_password("a long passphrase"))
    recommended = argon2.PasswordHasher()
    assert parameters.type is argon2.Type.ID
    assert (parameters.time_cost, parameters.memory_cost, parameters.parallelism) == (
        recommended.time_cost,
        recommended.memory_cost,
        recommended.parallelism,
    )
