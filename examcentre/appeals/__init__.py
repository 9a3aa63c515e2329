"""Appeals and complaints: intake, review, answer, follow-up, statistics."""
