"""Redis state of the ABM signals consumer: per-account intent days and decision marks."""
