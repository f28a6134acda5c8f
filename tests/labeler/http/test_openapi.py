"""/openapi.json describes every route's response, not only its request: clients can be generated from it."""
from __future__ import annotations

from fastapi.testclient import TestClient

from labeler.config import AppConfig
from labeler.files.tokens import Tokens
from labeler.http.app import create_app


def test_every_route_documents_a_typed_success_response(tmp_path):
    with TestClient(create_app(AppConfig(data_dir=tmp_path, bootstrap=False, ui=False))) as client:
        assert client.get("/openapi.json").status_code == 403 and client.get("/docs").status_code == 403
        researcher = {"Authorization": f"Bearer {Tokens.load_or_create(tmp_path).researcher}"}
        spec = client.get("/openapi.json", headers=researcher).json()
        assert client.get("/docs", headers=researcher).status_code == 200
    untyped = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            ok = {code: r for code, r in op["responses"].items() if code.startswith("2")}
            contents = [c for r in ok.values() for c in r.get("content", {}).values()]
            schemas = [c.get("schema", {}) for c in contents]
            typed = any(s.get("$ref") or s.get("type") == "array" and s.get("items", {}).get("$ref") for s in schemas)
            files = any(not s for s in schemas) and any(k != "application/json" for r in ok.values()
                                                        for k in r.get("content", {}))
            if not (typed or files):
                untyped.append(f"{method.upper()} {path}")
    assert not untyped, untyped
    assert len(spec["paths"]) > 40
    assert "Detail" in spec["components"]["schemas"]  # errors are documented too
    rounds = spec["components"]["schemas"]["RoundView"]["properties"]
    assert rounds["config"] == {"$ref": "#/components/schemas/RoundConfig"}  # every setting, typed, with defaults
    assert rounds["result"] == {"$ref": "#/components/schemas/RoundResult"}
    assert "vs_start" in spec["components"]["schemas"]["Comparisons"]["properties"]
