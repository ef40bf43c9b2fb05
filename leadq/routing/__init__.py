"""Lead routing, pure: which team, which rep, and what a missed SLA does next.

Nothing here reads a clock or touches Redis or Kafka: the router (``agents.router``)
passes the routing file, the transition, the lead's facts, the team's state snapshot and
the time, and stores what comes back atomically (``streams.routing``).
"""
