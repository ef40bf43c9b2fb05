"""The router's Redis state: per-team routing state written by one script per decision."""
