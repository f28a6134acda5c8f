"""What the app does, independent of HTTP: scheduling, rounds, preferences, quality, ingest, bootstrap."""
