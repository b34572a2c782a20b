"""Every write to accounts goes through these modules (split by noun)."""
