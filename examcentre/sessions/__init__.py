"""Exam sessions: scheduling, enrolment, terminals, check-in."""
