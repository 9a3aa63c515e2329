"""gunicorn entry point (`gunicorn wsgi:app`). Starts no scheduler: see `examcentre jobs run`."""

from examcentre import create_app
from examcentre.serve import compile_start_templates

app = create_app()
compile_start_templates(app)  # before the first request (serve.py says why)
