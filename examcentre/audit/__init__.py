"""The hash-chained audit log: ``chain`` (pure hashing) and ``operations`` (append, verify)."""

from .operations import ChainReport, actor_from, record, verify_chain

__all__ = ["ChainReport", "actor_from", "record", "verify_chain"]
