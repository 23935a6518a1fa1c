"""The HTTP API face (`longdoc serve`): FastAPI routes over the same app/ use cases as the CLI and UI."""
