"""Candidates and their admission tickets."""
