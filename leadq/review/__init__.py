"""The review report's maths (``leadq report``): what sales did with what leadq routed.

``history`` runs the engine over past events (the replay's pipeline) and keeps, per lead,
its routings, its CRM outcomes and the scores it reached; ``funnel`` counts and rates
over a period; ``conversion`` breaks conversion down by score band, fit grade, persona
and intent rule; ``thresholds`` finds the MQL entry threshold the outcomes support;
``backtest`` compares two rules files on the same history. All pure: no I/O, no clock.
"""
