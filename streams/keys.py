"""Redis key layout. Every script call touches one hash slot.

A lead, its account, the outbox and the due-time set share a *bucket* hash tag
``{bNNN}``, derived from the account id (a lead without an account uses its own id), so
applying a signal to a lead and its account, appending to the outbox and scheduling its
decay timer is one atomic, single-slot script call on a single Redis or a Redis Cluster.
The identity index lives under its own tag ``{ids}``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

#: Buckets per deployment. Changing it moves every key: choose it once (≥ the number of
#: Redis Cluster shards you may ever run, × a few).
DEFAULT_BUCKETS = 128


def indexed_lead(key: str, value: str | None) -> str | None:
    """The lead an identity index entry names: ``""`` stands for the key itself (a lead
    id is always one of its keys; storing it once per lead saves ~35 bytes)."""
    return key if value == "" else value


@dataclass(frozen=True, slots=True)
class Keys:
    prefix: str = "lq"
    buckets: int = DEFAULT_BUCKETS

    def bucket(self, lead_id: str, account_id: str | None) -> int:
        """The bucket of a lead: its account's, or its own when it has none."""
        owner = f"a:{account_id}" if account_id else f"l:{lead_id}"
        return zlib.crc32(owner.encode()) % self.buckets

    def tag(self, bucket: int) -> str:
        return f"{self.prefix}:{{b{bucket:03d}}}"

    def lead(self, bucket: int, lead_id: str) -> str:
        """A lead's state blob; after a merge a tombstone ``{"mg": survivor}``, its state
        kept under ``<this key>:merged`` until folded into the survivor."""
        return f"{self.tag(bucket)}:lead:{lead_id}"

    def account(self, bucket: int, account_id: str) -> str:
        return f"{self.tag(bucket)}:acct:{account_id}"

    def no_account(self, bucket: int) -> str:
        """A key that is never written, standing in for 'no account' in KEYS."""
        return f"{self.tag(bucket)}:acct:"

    def outbox(self, bucket: int) -> str:
        return f"{self.tag(bucket)}:outbox"

    def due(self, bucket: int) -> str:
        return f"{self.tag(bucket)}:due"

    def identities(self) -> str:
        """Hash: identity key (``u:``/``e:``/``a:``) → lead id, or ``""`` when the key is
        the lead's own id (see :func:`indexed_lead`)."""
        return f"{self.prefix}:{{ids}}:index"

    def lead_accounts(self) -> str:
        """Hash: lead id → the account it belongs to."""
        return f"{self.prefix}:{{ids}}:lead-account"

    def lead_keys(self) -> str:
        """Hash: lead id → its identity keys other than its own id (a MessagePack array;
        no field when its id is its only key). Read to repoint them when it is absorbed."""
        return f"{self.prefix}:{{ids}}:lead-keys"

    def all_buckets(self) -> range:
        return range(self.buckets)
