"""gunicorn entry point (`gunicorn wsgi:app`). Starts no scheduler: see `examcentre jobs run`."""

from examcentre import create_app
from examcentre.serve import prepare_start

app = create_app()
prepare_start(app)  # before the first request (serve.py says why)
