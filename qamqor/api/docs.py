"""The API's documentation page: the OpenAPI document rendered as an accessible page in the site's layout and
languages (Swagger UI needs inline styles our CSP forbids, and is hard to use with a screen reader)."""

import json

from django.shortcuts import render
from ninja.openapi.docs import DocsBase

METHODS = ("get", "post", "put", "patch", "delete")


def _schema_name(schema: dict) -> str:
    if not schema:
        return ""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"[{_schema_name(schema.get('items', {}))}]"
    if "anyOf" in schema:
        return " | ".join(_schema_name(s) for s in schema["anyOf"])
    return schema.get("type", "")


def operations(openapi: dict) -> list[dict]:
    """One entry per operation, with its parameters, body and responses, in document order."""
    result = []
    for path, item in openapi.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if not op:
                continue
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            result.append({
                "id": op.get("operationId", f"{method}-{path}"),
                "method": method.upper(), "path": path, "summary": op.get("summary", ""),
                "description": op.get("description", ""), "tag": (op.get("tags") or [""])[0],
                "auth": bool(op.get("security")),
                "parameters": [{"name": p["name"], "in": p["in"], "required": p.get("required", False),
                                "type": _schema_name(p.get("schema", {})),
                                "description": p.get("description", "") or p.get("schema", {}).get("description", "")}
                               for p in op.get("parameters", [])],
                "body": _schema_name(body),
                "responses": [{"status": status, "description": r.get("description", ""),
                               "schema": _schema_name(r.get("content", {}).get("application/json", {}).get("schema", {}))}
                              for status, r in op.get("responses", {}).items()],
            })
    return result


class AccessibleDocs(DocsBase):
    def render_page(self, request, api, **kwargs):
        openapi = api.get_openapi_schema(path_params=kwargs)
        schemas = openapi.get("components", {}).get("schemas", {})
        return render(request, "api/docs.html", {
            "title": api.title, "description": api.description, "version": api.version,
            "openapi_url": self.get_openapi_url(api, kwargs), "operations": operations(openapi),
            "schemas": [{"name": name, "json": json.dumps(schema, indent=2, ensure_ascii=False)}
                        for name, schema in sorted(schemas.items())],
        })
