"""Wire contracts of leadq: pydantic v2 models of every topic's messages and the rules file.

Everything here is pure (no Kafka, no Redis). Our own contracts are frozen and forbid
extra fields; vendor adapters (``leadq.adapters``) tolerate extra vendor fields.
"""

from pydantic import JsonValue

from schemas.signal import Account, Channel, Identity, Signal, SignalType

__all__ = ["Account", "Channel", "Identity", "JsonValue", "Signal", "SignalType"]
