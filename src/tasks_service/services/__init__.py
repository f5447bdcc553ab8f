"""Implementations of the generated service Protocols (`tasks_api.services`).

Each converts between API models (generated) and ORM rows (`tasks_service.db.tables`) at its
boundary; repositories never see API models and API models never reach the database.
"""
