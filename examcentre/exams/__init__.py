"""The timed theory exam: attempts, answers, grading, archive (issue 7)."""
