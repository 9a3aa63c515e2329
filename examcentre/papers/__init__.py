"""Paper blueprints and paper drawing.

Pure: ``blueprint.py`` (the blueprint, its cells, coverage), ``draw.py`` (numpy drawing).
Database writers: ``operations.py``.
"""
