"""leadq: the pure qualification engine (scoring, decay, stages, explanations) and its CLI.

Nothing in this package except ``leadq.cli`` may import faust, redis or aiokafka; a test
enforces it, so the engine is testable alone and drives ``leadq replay``.
"""

__version__ = "0.1.0"
