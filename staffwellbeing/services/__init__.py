"""Staff wellbeing services, split by noun."""
