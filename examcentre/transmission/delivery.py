"""Sending one batch to the hub over HTTP(S) (standard library only).

``send`` never raises for the network: every outcome is a ``DeliveryOutcome`` the outbox
records (status 0 when the hub could not be reached at all).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from .operations import DeliveryOutcome

PATH = "/api/v1/hub/batches"


def hub_endpoint(base_url: str) -> str:
    """The ingest URL under the configured hub; only http(s), never file: or others."""
    if not base_url.lower().startswith(("https://", "http://")):
        raise ValueError(f"AUTHORITY_HUB_URL must start with https:// (got {base_url!r})")
    return base_url.rstrip("/") + PATH


def send(base_url: str, envelope: bytes, timeout: float) -> DeliveryOutcome:
    try:
        url = hub_endpoint(base_url)
    except ValueError as error:
        return DeliveryOutcome(0, error=str(error))
    request = urllib.request.Request(  # noqa: S310 (scheme checked in hub_endpoint)
        url,
        data=envelope,
        method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    except (OSError, ValueError) as error:  # refused, timed out, DNS, TLS, bad URL
        return DeliveryOutcome(0, error=f"{type(error).__name__}: {error}")
    try:
        body = json.loads(raw.decode("utf-8")) if raw else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        return DeliveryOutcome(status, error=f"HTTP {status}: the answer is not JSON")
    if status in (200, 201) and isinstance(body.get("receipt"), dict):
        return DeliveryOutcome(status, receipt=body["receipt"])
    reason = body.get("error", "") if isinstance(body, dict) else ""
    message = body.get("message", "") if isinstance(body, dict) else ""
    paths = (
        "; ".join(f"{e.get('path')}: {e.get('message')}" for e in (body.get("errors") or [])[:5])
        if isinstance(body, dict)
        else ""
    )
    return DeliveryOutcome(status, error=f"HTTP {status} {reason}: {message} {paths}".strip())
