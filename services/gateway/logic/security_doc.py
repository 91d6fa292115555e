"""The merged OpenAPI document's security: the bearer scheme, and `security` with 401 and 403 on every
protected operation (so generated clients send the token and /docs has an Authorize button)."""

from typing import Any

from shared.auth import is_protected
from shared.problems import PROBLEM_JSON, problems

SCHEME = "bearer"
_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def secure(document: dict[str, Any]) -> dict[str, Any]:
    document.setdefault("components", {})["securitySchemes"] = {
        SCHEME: {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A token from the platform's issuer (locally: `make token ROLE=<role>`).",
        }
    }
    problem = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, item in document.get("paths", {}).items():
        if not is_protected(path):
            continue
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            operation["security"] = [{SCHEME: []}]
            responses = operation.setdefault("responses", {})
            for status, entry in problems(401, 403).items():
                responses.setdefault(str(status), entry | {"content": problem})
    return document
