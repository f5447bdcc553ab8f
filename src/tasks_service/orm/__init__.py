"""Persistence: the async engine and session factory, and the ORM tables (never the API models)."""
