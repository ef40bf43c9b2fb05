"""leadq: the pure qualification engine: vendor adapters, identity, scoring, decay, stages,
explanations and replay.

Nothing in this package imports faust, redis, aiokafka or any other package of the
project but ``schemas`` (a test enforces it), so the engine runs alone, in the same code,
in ``leadq replay``, the worker, its timers and the read API. The command line lives in
``cli``.
"""

__version__ = "0.1.0"
