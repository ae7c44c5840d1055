"""Open data: a read-only JSON API, OCDS planning releases and the human-readable API page."""
