"""Who may do what with supervision and caseload data, by noun; see each module."""
