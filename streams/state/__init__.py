"""The Redis state store: key layout, blob codec, the two small Lua scripts that make
writes atomic (compare-and-set of an index key; a fenced commit of a bucket), and
``RedisStore``, the ``leadq.store.StateStore`` the worker runs on."""
