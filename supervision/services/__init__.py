"""Writes to supervision and caseload data, by noun; see each module."""
