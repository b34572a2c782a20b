"""Writes to data lifecycle records, by noun; see each module."""
