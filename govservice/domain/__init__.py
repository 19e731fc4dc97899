"""Pure domain code: calendar, rules and value objects. Imports no framework and no database."""
