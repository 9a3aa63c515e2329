"""Tests of the question-bank import/export formats."""
