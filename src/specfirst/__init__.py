"""specfirst: contract-first API pipeline for FastAPI."""

__version__ = "0.1.0"
