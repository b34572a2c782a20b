"""Staff wellbeing selectors, split by noun."""
