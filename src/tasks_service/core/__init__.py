"""Infrastructure: settings, database engine, security, rate limits, logs, middleware."""
