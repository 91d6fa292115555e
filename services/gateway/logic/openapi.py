"""One OpenAPI 3.1 document from every service's own: public paths merged, shared schemas once."""

from collections.abc import Mapping
from typing import Any

PUBLIC_PREFIX = "/api/v1/"


class SchemaConflict(ValueError):
    pass


def merge(documents: Mapping[str, dict[str, Any]], gateway_paths: dict[str, Any], version: str) -> dict[str, Any]:
    paths: dict[str, Any] = dict(gateway_paths)
    schemas: dict[str, Any] = {}
    tags: dict[str, dict[str, Any]] = {}
    for service, document in sorted(documents.items()):
        for path, item in document.get("paths", {}).items():
            if not path.startswith(PUBLIC_PREFIX):
                continue  # health and internal endpoints are the service's own business
            if path in paths:
                raise SchemaConflict(f"{path} is published by two services")
            paths[path] = item
            for operation in item.values():
                for tag in operation.get("tags", []) if isinstance(operation, dict) else []:
                    tags.setdefault(tag, {"name": tag, "description": f"served by the {service} service"})
        for name, schema in document.get("components", {}).get("schemas", {}).items():
            if name in schemas and schemas[name] != schema:
                raise SchemaConflict(f"schema {name} differs between services; it must come from the shared package")
            schemas[name] = schema
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Offender Management Inspection API",
            "version": version,
            "description": "The one public entry point of the inspection platform. Errors are RFC 9457 problem details.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": dict(sorted(schemas.items()))},
        "tags": sorted(tags.values(), key=lambda t: t["name"]),
    }
