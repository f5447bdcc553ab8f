"""Data access: queries over the ORM tables, one module per table, no HTTP or API models here."""
