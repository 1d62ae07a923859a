"""The HTTP skeleton: one error shape, security headers, limits, health, the OpenAPI document."""

from __future__ import annotations

import io
import json
import re

import pytest

from entente.web.middlewares import CONTENT_SECURITY_POLICY
from tests.support.http import PROBLEM_KEYS, assert_problem


async def test_every_response_carries_the_security_headers(client) -> None:
    for path in ("/", "/login", "/healthz", "/api/v1/me", "/no-such-page"):
        response = await client.get(path)
        headers = response.headers
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        # The public home page is the same for every visitor not signed in: revalidated by its ETag.
        assert headers["Cache-Control"] == ("public, max-age=60" if path == "/" else "no-store")


async def test_healthz_reports_the_database_reachable(client) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert (await response.json())["database"] == "reachable"


async def test_unknown_api_route_is_a_problem_and_unknown_page_an_html_page(client) -> None:
    await assert_problem(await client.get("/api/v1/nothing-here"), 404, "not_found")
    page = await client.get("/nothing-here")
    assert page.status == 404
    assert page.content_type == "text/html"
    assert "Not Found" in await page.text()


async def test_wrong_method_is_a_problem(client) -> None:
    await assert_problem(await client.put("/api/v1/openapi.json"), 405, "method_not_allowed")


async def test_unauthenticated_api_call_asks_for_a_bearer_token(client) -> None:
    response = await client.get("/api/v1/me")
    await assert_problem(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "not_canonicalizable"),
        (b'{"name": "a", "name": "b"}', "application/json", 400, "not_canonicalizable"),
        (b'{"name": "a", "days": 1.5}', "application/json", 400, "not_canonicalizable"),
        (b'{"name": "ci"}', "text/plain", 415, "unsupported_media_type"),
        (b"", "application/json", 400, "malformed_input"),
        (b'["name"]', "application/json", 422, "invalid_input"),
        (b'{"name": "ci", "colour": "red"}', "application/json", 422, "invalid_input"),
        (b'{"name": 5}', "application/json", 422, "invalid_input"),
        (b'{"name": "ci", "days": "30"}', "application/json", 422, "invalid_input"),
        (b'{"name": "ci", "days": 0}', "application/json", 422, "invalid_input"),
    ],
)
async def test_bad_bodies_answer_a_4xx_problem_and_change_nothing(world, body, content_type, status, code) -> None:
    headers = await world.token("ee.drafter")
    before = await (await world.client.get("/api/v1/tokens", headers=headers)).json()
    response = await world.client.post("/api/v1/tokens", data=body, headers=headers | {"Content-Type": content_type})
    problem = await assert_problem(response, status, code)
    if status == 422 and body.startswith(b"{"):
        assert problem["field"].startswith("/")
        assert problem["errors"]
    after = await (await world.client.get("/api/v1/tokens", headers=headers)).json()
    assert after == before


async def test_unknown_field_is_named(world) -> None:
    headers = await world.token("ee.drafter")
    response = await world.client.post("/api/v1/tokens", json={"name": "ci", "colour": "red"}, headers=headers)
    problem = await assert_problem(response, 422, "invalid_input")
    assert problem["field"] == "/colour"
    assert problem["errors"][0]["reason"] == "unknown field"


async def test_body_over_the_limit_is_refused(world, settings) -> None:
    headers = await world.token("ee.drafter")
    big = io.BytesIO(json.dumps({"name": "x" * (settings.limits.max_body_bytes + 10)}).encode())
    response = await world.client.post(
        "/api/v1/tokens", data=big, headers=headers | {"Content-Type": "application/json"}
    )
    await assert_problem(response, 413, "payload_too_large")


async def test_nesting_beyond_the_depth_limit_is_refused(world, settings) -> None:
    headers = await world.token("ee.drafter")
    deep = (
        '{"name": "x", "days": '
        + "[" * (settings.limits.max_json_depth + 5)
        + "]" * (settings.limits.max_json_depth + 5)
        + "}"
    )
    response = await world.client.post(
        "/api/v1/tokens", data=deep, headers=headers | {"Content-Type": "application/json"}
    )
    await assert_problem(response, 400, "not_canonicalizable")


async def test_string_over_the_length_limit_is_refused(world, app) -> None:
    from entente.appkeys import settings_key

    limit = app[settings_key].limits.max_string_length
    headers = await world.token("ee.drafter")
    body = json.dumps({"name": "n" * (limit + 1)})
    if len(body) < app[settings_key].limits.max_body_bytes:
        response = await world.client.post(
            "/api/v1/tokens", data=body, headers=headers | {"Content-Type": "application/json"}
        )
        problem = await assert_problem(response, 422, "string_too_long")
        assert problem["field"] == "/name"


async def test_openapi_document_describes_every_api_route(client) -> None:
    response = await client.get("/api/v1/openapi.json")
    assert response.status == 200
    doc = await response.json()
    assert doc["openapi"].startswith("3.1")
    described = {(path, method.upper()) for path, item in doc["paths"].items() for method in item}
    served = set()
    for route in client.app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter")
        if path and path.startswith(("/api/", "/.well-known/")) and route.method != "HEAD":
            served.add((path, route.method))
    missing = served - described
    assert not missing, f"routes missing from the OpenAPI document: {sorted(missing)}"
    assert described - served == set()
    for item in doc["paths"].values():
        for operation in item.values():
            assert operation["summary"] and operation["operationId"]


ODD_IDS = ["²", "0", "-1", "1e3", "2147483648", "99999999999999999999", "%C2%B2"]


@pytest.mark.parametrize("odd", ODD_IDS)
async def test_a_path_id_that_cannot_be_one_is_a_4xx_on_every_route(world, odd) -> None:
    """Every route with a path parameter, every method, as a signed-in drafter: never a 500."""
    headers = await world.token("ee.drafter")
    seen = 0
    for resource in world.client.app.router.resources():
        info = resource.get_info()
        template = info.get("formatter")
        if not template or "{" not in template:
            continue
        path = re.sub(r"\{([^}:]+)(:[^}]*)?\}", lambda m: odd if m.group(2) is None else "renew", template)
        for route in resource:
            if route.method == "HEAD":
                continue
            response = await world.client.request(route.method, path, json={}, headers=headers)
            assert response.status < 500, (route.method, path, await response.text())
            seen += 1
    assert seen > 40


# --- hostile input with real ids (issue 11, items 4 and 8) -----------------------------------------

HOSTILE_SEGMENTS = ["2147483648", "9223372036854775808", "999999999999", "%00", "a%00b", "-1", "0"]


@pytest.mark.parametrize("odd", HOSTILE_SEGMENTS)
async def test_every_path_segment_out_of_range_or_with_nul_is_a_4xx_even_next_to_real_ids(world, odd) -> None:
    """Each path parameter in turn is made hostile while the others name real objects: never a 500."""
    from tests.support.hostile import seed_everything

    seeded = await seed_everything(world)
    seen = 0
    for resource in world.client.app.router.resources():
        template = resource.get_info().get("formatter")
        if not template or "{" not in template:
            continue
        for name in re.findall(r"\{([^}:]+)(?::[^}]*)?\}", template):
            path = seeded.path(template, **{name: odd})
            for route in resource:
                if route.method == "HEAD":
                    continue
                response = await world.client.request(route.method, path, json={}, headers=seeded.headers)
                assert response.status < 500, (route.method, path, await response.text())
                if route.method == "GET" and template.startswith("/api/") and name != "section":
                    assert response.status == 404, (route.method, path, await response.text())
                seen += 1
    assert seen > 60


NUL_BODIES = [
    (
        "/api/v1/communiques",
        {"kind": "joint_statement", "title": "A\x00B", "participants": [], "sections": []},
        "/title",
    ),
    ("/api/v1/incidents", {"title": "Grid", "description": "x\x00y"}, "/description"),
    ("/api/v1/tokens", {"name": "ci\x00"}, "/name"),
    (
        "/api/v1/users",
        {"username": "ee.new", "display_name": "New\x00", "party": "EE", "roles": ["drafter"]},
        "/display_name",
    ),
    ("/api/v1/incidents", {"title": "Grid", "metrics": {"a\x00": 1}}, "/metrics/a\\u0000"),
]


@pytest.mark.parametrize(("path", "body", "pointer"), NUL_BODIES)
async def test_nul_in_json_text_is_a_422_naming_the_field_and_changes_nothing(world, path, body, pointer) -> None:
    from tests.support.hostile import database_state

    user = "eu.secretariat" if path.endswith("/users") else "ee.drafter"
    headers = await world.token(user)
    before = await database_state(world)
    response = await world.client.post(path, json=body, headers=headers)
    problem = await assert_problem(response, 422, "nul_character")
    assert problem["field"] == pointer
    assert await database_state(world) == before


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/login", {"username": "ee.drafter\x00", "password": "x"}),
        ("/account/tokens", {"name": "ci\x00"}),
        ("/incidents", {"title": "Grid\x00", "description": ""}),
    ],
)
async def test_nul_in_a_form_field_is_a_422_and_changes_nothing(world, path, form) -> None:
    from tests.support.hostile import database_state
    from tests.support.world import sign_in

    if path == "/login":
        page = await world.client.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', await page.text()).group(1)
    else:
        csrf = await sign_in(world.client, "ee.drafter")
    before = await database_state(world)
    response = await world.client.post(path, data=form | {"csrf_token": csrf}, allow_redirects=False)
    assert response.status == 422, await response.text()
    assert "NUL" in await response.text()
    assert await database_state(world) == before


async def test_the_openapi_document_lists_415_on_writes_csv_on_exports_and_405_allow_matches_it(world) -> None:
    doc = await (await world.client.get("/api/v1/openapi.json")).json()
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if "requestBody" in operation or method in ("post", "put", "patch"):
                assert "415" in operation["responses"], (method, path)
    export = doc["paths"]["/api/v1/sanctions/packages/{package}/export"]["get"]["responses"]["200"]["content"]
    assert {"text/csv", "application/xml"} <= set(export)
    headers = await world.token("ee.drafter")
    for path, item in doc["paths"].items():
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        response = await world.client.request("TRACE", concrete, headers=headers)
        if response.status != 405:
            continue
        allowed = set(response.headers["Allow"].split(","))
        assert allowed - {"HEAD"} == {m.upper() for m in item}, (path, allowed)
    presigned = "/api/v1/communiques/1/versions/1/signoffs/presigned"
    response = await world.client.delete(presigned, headers=headers)
    assert response.status == 405 and response.headers["Allow"] == "POST"


def _hostile_bodies(limit: int) -> dict[str, bytes]:
    deep = "[" * 200 + "]" * 200
    return {
        "nul": json.dumps({"title": "a\x00b", "name": "a\x00b", "body": "a\x00b"}).encode(),
        "lone-surrogate": b'{"title": "\\ud800", "name": "\\udfff", "body": "\\ud83d"}',
        "megabyte": json.dumps({"title": "x" * (1 << 20), "name": "x" * (1 << 20)}).encode(),
        "deep-array": ('{"title": ' + deep + ', "sections": ' + deep + "}").encode(),
        "wrong-types": b'{"title": 5, "name": [], "sections": "no", "participants": {}, "days": "1", "version": true}',
        "not-an-object": b'[1, "two", null]',
        "null": b"null",
        "big-int": b'{"version": 99999999999999999999, "days": 2147483648, "tier": 9007199254740991}',
    }


def _targeted_bodies(doc: dict, operation: dict) -> dict[str, bytes]:
    """Bodies that pass the data model but for one hostile string: every required member of the
    operation's request schema is a string, and each gets the hostile text (NUL, a lone surrogate,
    1 MB). Operations needing other members get the generic bodies (refused on type first)."""
    ref = operation["requestBody"]["content"]["application/json"]["schema"].get("$ref", "")
    schema = doc["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {})
    required = schema.get("required", [])
    properties = schema.get("properties", {})
    if not required or any(properties.get(name, {}).get("type") != "string" for name in required):
        return {}
    texts = {"nul": "a\x00b", "lone-surrogate": "a\ud800b", "megabyte": "x" * (1 << 20)}
    out = {}
    for kind, text in texts.items():
        raw = json.dumps({name: text for name in required})
        out[kind] = raw.encode("utf-8", "surrogatepass")
    return out


HOSTILE_KINDS = ["nul", "lone-surrogate", "megabyte", "deep-array", "wrong-types", "not-an-object", "null", "big-int"]


async def test_every_write_endpoint_refuses_hostile_bodies_with_a_problem_and_writes_nothing(world, settings) -> None:
    """Every write of the OpenAPI document that reads a body, with real ids, gets each hostile body: a 4xx
    problem body, never a 500, and nothing written (row counts and the head of the audit chain unchanged)."""
    from tests.support.hostile import database_state, seed_everything

    seeded = await seed_everything(world)
    bodies = _hostile_bodies(settings.limits.max_string_length)
    doc = await (await world.client.get("/api/v1/openapi.json")).json()
    before = await database_state(world)
    seen = 0
    for template, item in doc["paths"].items():
        for method in item:
            if "requestBody" not in item[method]:  # bodyless writes: their input is the path, walked above
                continue
            path = seeded.path(template)
            headers = seeded.headers | {"Content-Type": "application/json", "If-Match": '"1"'}
            targeted = _targeted_bodies(doc, item[method])
            for kind in HOSTILE_KINDS:
                body = targeted.get(kind, bodies[kind])
                response = await world.client.request(method.upper(), path, data=io.BytesIO(body), headers=headers)
                where = (kind, method, path, response.status)
                assert 400 <= response.status < 500, (*where, (await response.text())[:300])
                assert response.content_type == "application/problem+json", where
                assert PROBLEM_KEYS <= set(await response.json(content_type=None)), where
                seen += 1
    assert seen > 30 * len(HOSTILE_KINDS)
    assert await database_state(world) == before
