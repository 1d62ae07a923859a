"""The OpenAPI document tells the truth: a bounded schemathesis run against the real server.

Every operation of ``/api/v1/openapi.json`` gets a few generated requests (valid and invalid),
as a signed-in drafter with real ids for every path parameter; any 5xx, any status the document
does not list, any content type or body that does not match it fails the test. Fixed seed, a few
examples per operation, SQLite only (it is about the HTTP contract, not the database), under a minute.
"""

from __future__ import annotations

import asyncio

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.examples import examples  # noqa: E402
from tests.support.hostile import seed_everything  # noqa: E402

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 4


def _run(doc: dict, base_url: str, headers: dict[str, str], params: dict[str, str]) -> list[str]:
    schema = schemathesis.openapi.from_dict(doc)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        fixed = {
            name: params[name]
            for name in (p["name"] for p in operation.definition.raw.get("parameters", []) if p["in"] == "path")
            if name in params
        }
        strategy = operation.as_strategy(path_parameters=fixed or None)

        @seed(20261127)
        @settings(
            max_examples=examples(EXAMPLES),
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def check(case) -> None:
            response = case.call(base_url=base_url, headers=headers, timeout=30)
            case.validate_response(response, checks=CHECKS)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 (every failure is reported the same way)
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:1200])
    return failures


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_api_answers_as_its_openapi_document_says(world) -> None:
    seeded = await seed_everything(world)
    doc = await (await world.client.get("/api/v1/openapi.json")).json()
    base_url = str(world.client.make_url("")).rstrip("/")
    failures = await asyncio.to_thread(_run, doc, base_url, seeded.headers, seeded.params)
    assert not failures, "\n\n".join(failures[:15])
