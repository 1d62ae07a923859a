"""The one error shape every API refusal has (RFC 9457 problem details)."""

from __future__ import annotations

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


async def assert_problem(response, status: int, code: str) -> dict:
    assert response.status == status, await response.text()
    assert response.content_type == "application/problem+json"
    body = await response.json(content_type=None)
    assert PROBLEM_KEYS <= set(body)
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:entente:problem:{code}"
    return body
