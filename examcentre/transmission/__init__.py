"""Data transmission (数据传输): signed results batches from a centre to the authority hub.

- ``batch.py`` (pure): the ``examcentre.results/1`` format, its canonical bytes, the signed
  envelope, and the parser the hub checks a batch with (every problem with its JSON path).
- ``signing.py`` (pure): Ed25519 with the ``cryptography`` package.
- ``policy.py`` (pure): the reporting deadline and the retry backoff.
- ``keys.py``: the centre's key pair in the instance folder (file mode 0600).
- ``operations.py``: building batches into the outbox and recording deliveries (centre).
- ``hub.py``: registering centres' keys and ingesting batches (authority hub).
- ``delivery.py``: the HTTP client the scheduler's outbox job sends with.
- ``cli.py``: ``examcentre keys``, ``examcentre results``, ``examcentre hub``.
"""
