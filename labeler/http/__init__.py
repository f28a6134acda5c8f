"""The HTTP layer: the FastAPI app, auth, request and response schemas, a router per resource, pages, the UI."""
