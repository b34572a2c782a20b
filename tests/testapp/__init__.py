"""A test-only app whose models exercise the project's encrypted fields."""
