"""Exam applications: intake, review, enrolment."""
