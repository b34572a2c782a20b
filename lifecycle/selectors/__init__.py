"""Reads of data lifecycle records, by noun; see each module."""
