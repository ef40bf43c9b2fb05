"""Account-based-marketing signals, pure: what the ABM consumer decides, without I/O.

Scoring points for the surge buckets (``points``), surge detection over event-time days
(``surge``), the account context and persona coverage (``context``), and which signals a
transition or a new reading of an account causes (``decide``). The ABM consumer
(``agents.abm``) keeps the state in Redis (``streams.abm``) and calls these.
"""
