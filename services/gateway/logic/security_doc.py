"""The merged OpenAPI document's security: the bearer scheme, and `security` with 401 and 403 on every
protected operation (so generated clients send the token and /docs has an Authorize button); the report's
renderings also take it as the `access_token` query parameter (a link a browser opens, shared.auth)."""

from typing import Any

from shared.auth import LINK_METHODS, LINK_PARAMETER, LINK_PATH, is_protected
from shared.problems import PROBLEM_JSON, problems

SCHEME = "bearer"
LINK_SCHEME = "reportLink"
_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def secure(document: dict[str, Any]) -> dict[str, Any]:
    document.setdefault("components", {})["securitySchemes"] = {
        SCHEME: {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A token from the platform's issuer (locally: `make token ROLE=<role>`).",
        },
        LINK_SCHEME: {
            "type": "apiKey",
            "in": "query",
            "name": LINK_PARAMETER,
            "description": "The same token in the URL (RFC 6750 2.3), taken on reading a published report only; "
            "answered Cache-Control: private, no-store.",
        },
    }
    problem = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, item in document.get("paths", {}).items():
        if not is_protected(path):
            continue
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            by_link = method.upper() in LINK_METHODS and LINK_PATH.fullmatch(path)
            operation["security"] = [{SCHEME: []}] + ([{LINK_SCHEME: []}] if by_link else [])
            responses = operation.setdefault("responses", {})
            for status, entry in problems(401, 403).items():
                responses.setdefault(str(status), entry | {"content": problem})
    return document
