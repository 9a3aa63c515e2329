"""The OpenAPI document: valid OpenAPI 3.1, public, and in step with the routes."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from examcentre.api.document import openapi_document

PREFIX = "/api/v1"
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def routes_of_the_api(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        assert rule.rule.startswith(PREFIX)
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule[len(PREFIX) :])
        for method in rule.methods - IGNORED_METHODS:
            routes.add((method.lower(), path))
    return routes


def documented_operations(document) -> set[tuple[str, str]]:
    methods = {"get", "post", "put", "patch", "delete"}
    return {
        (method, path)
        for path, item in document["paths"].items()
        for method in item
        if method in methods
    }


def test_every_route_is_documented_and_every_documented_path_exists(app):
    routes = routes_of_the_api(app)
    documented = documented_operations(openapi_document())
    assert len(routes) >= 11
    assert routes - documented == set(), "routes missing from openapi.yaml"
    assert documented - routes == set(), "documented operations with no route"


def test_the_document_is_valid_openapi_3_1():
    document = openapi_document()
    assert document["openapi"].startswith("3.1")
    validate(document)  # raises on any violation of the OpenAPI 3.1 schema


def test_every_operation_documents_its_errors_and_path_parameters():
    document = openapi_document()
    for path, item in document["paths"].items():
        names = re.findall(r"{([a-z_]+)}", path)
        for method, operation in item.items():
            if method == "parameters":
                continue
            declared = {
                p["$ref"].rsplit("/", 1)[-1] if "$ref" in p else p["name"]
                for p in item.get("parameters", []) + operation.get("parameters", [])
            }
            for name in names:
                assert {
                    "session_id": "SessionId",
                    "ticket_number": "TicketNumber",
                    "position": "Position",
                    "station_code": "StationCode",
                }[
                    name
                ] in declared, (method, path)
            if path == "/openapi.json":
                assert operation["security"] == []
                continue
            # A simulator station signs its requests (no session, no role, no CSRF): it is
            # refused with 401 only, an unknown station included.
            schemes = {name for r in operation.get("security", document["security"]) for name in r}
            # The hub's ingest endpoint is authenticated by the signature inside the body
            # (no session, no CSRF): refusals are 403 (centre, key, signature), 409, 422.
            if operation.get("security") == [] and "hub" in operation.get("tags", []):
                assert {"403", "409", "415", "422"} <= set(operation["responses"]), path
            elif "stationSignature" in schemes:
                assert "401" in operation["responses"], (method, path)
                assert {"415", "422"} <= set(operation["responses"]), (method, path)
            else:
                assert {"401", "403"} <= set(operation["responses"]), (method, path)
                if names:
                    assert "404" in operation["responses"], (method, path)
                if method in ("post", "put", "patch"):
                    assert "400" in operation["responses"], (method, path)  # CSRF
                if "requestBody" in operation:
                    assert {"400", "415", "422"} <= set(operation["responses"]), (method, path)
            if "requestBody" in operation:
                schema = operation["requestBody"]["content"]["application/json"]["schema"]
                target = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
                assert target["additionalProperties"] is False, (method, path)


def test_the_document_is_served_without_sign_in(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json == openapi_document()
