"""Redis key layout. Every script call touches one hash slot.

- A bucket's keys share the hash tag ``{bNNN}``: its version and watermark, its leads
  (or their tombstones), its accounts, the states kept during a hand-over, its decay
  due-time sorted set and its outbox stream. A bucket's commit is one single-slot
  script call, on a single Redis or a Redis Cluster.
- The identity index is sharded: an identity key lives under the tag ``{iNNN}`` of its
  own hash, so no slot holds a global index; each key is written alone (compare-and-set).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from leadq.identity import DEFAULT_BUCKETS

#: Shards of the identity index (hash tags). Fixed: changing it loses the index.
INDEX_SHARDS = 256


@dataclass(frozen=True, slots=True)
class Keys:
    prefix: str = "lq"
    buckets: int = DEFAULT_BUCKETS

    def tag(self, bucket: int) -> str:
        return f"{self.prefix}:{{b{bucket:03d}}}"

    def version(self, bucket: int) -> str:
        """The bucket's version: every commit bumps it; a commit that read another is refused."""
        return f"{self.tag(bucket)}:v"

    def watermark(self, bucket: int) -> str:
        """Last applied offset per source partition (MessagePack map)."""
        return f"{self.tag(bucket)}:wm"

    def lead(self, bucket: int, lead_id: str) -> str:
        """A lead's state blob, or its tombstone after it moved or merged."""
        return f"{self.tag(bucket)}:lead:{lead_id}"

    def account(self, bucket: int, account_id: str) -> str:
        return f"{self.tag(bucket)}:acct:{account_id}"

    def kept(self, bucket: int, fold_id: str) -> str:
        """A state handed over from this bucket, kept until folded where it went."""
        return f"{self.tag(bucket)}:kept:{fold_id}"

    def parked(self, bucket: int, lead_id: str) -> str:
        """A lead's items waiting here for its former places to be handed over."""
        return f"{self.tag(bucket)}:park:{lead_id}"

    def parked_leads(self, bucket: int) -> str:
        """Which leads of the bucket have parked items (MessagePack array)."""
        return f"{self.tag(bucket)}:parked"

    def outbox(self, bucket: int) -> str:
        return f"{self.tag(bucket)}:outbox"

    def due(self, bucket: int) -> str:
        return f"{self.tag(bucket)}:due"

    def identity(self, key: str) -> str:
        """An identity key's index record (``u:``/``e:``/``a:`` key)."""
        shard = zlib.crc32(key.encode()) % INDEX_SHARDS
        return f"{self.prefix}:{{i{shard:03d}}}:k:{key}"

    def all_buckets(self) -> range:
        return range(self.buckets)
