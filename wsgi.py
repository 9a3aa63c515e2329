"""gunicorn entry point (`gunicorn wsgi:app`). Starts no scheduler: see `examcentre jobs run`."""

from examcentre import create_app

app = create_app()
