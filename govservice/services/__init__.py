"""Use cases. Each public method is one transaction; the API layer only calls these."""
