"""Staff wellbeing views, split by noun."""
