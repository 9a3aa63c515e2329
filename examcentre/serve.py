"""The embedded run: gunicorn with a single worker, which also owns the scheduler.

One worker (with threads) is what makes the in-process scheduler safe: there is exactly
one scheduler. For several workers use gunicorn directly and ``examcentre jobs run``.
"""

from __future__ import annotations

from gunicorn.app.base import BaseApplication


class EmbeddedServer(BaseApplication):
    def __init__(self, options: dict) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from apscheduler.schedulers.background import BackgroundScheduler

        from . import create_app
        from .jobs import add_jobs

        app = create_app()
        scheduler = BackgroundScheduler(timezone=app.config["BABEL_DEFAULT_TIMEZONE"])
        add_jobs(scheduler, app)
        scheduler.start()
        return app


def serve(host: str, port: int, threads: int) -> None:
    EmbeddedServer(
        {
            "bind": f"{host}:{port}",
            "workers": 1,
            "threads": threads,
            "accesslog": "-",
            # A long-running answer save must not be killed while SQLite waits for its lock.
            "timeout": 60,
        }
    ).run()
