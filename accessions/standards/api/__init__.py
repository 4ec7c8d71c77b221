"""The read-only JSON API and its OpenAPI description."""
