"""The reference Tasks API: hand-written services behind the generated `tasks_api` package."""
