"""The question bank: syllabus and questions as data, importers, exporters, review workflow.

Pure: ``vocab.py`` (the closed vocabularies), ``native.py`` (the YAML bank files),
``validate.py`` (question rules and import checks), ``formats/`` (CSV, XLSX, plain text).
Database writers: ``operations.py``.
"""
