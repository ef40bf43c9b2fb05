"""The HTTP ingest gateway (``leadq ingest``): vendors' HTTP requests → the inbound topics.

A stateless aiohttp server (run several replicas behind a load balancer) that accepts
the requests tracking SDKs and email services already send — Segment/RudderStack's HTTP
Tracking API, PostHog's capture API, SendGrid/Mailgun/Postmark event webhooks, HubSpot's
contact property webhooks — checks
who sent them, validates every item with the worker's own adapters and produces it to
its channel's inbound topic, keyed by the person's most preferred identity (``u:``, then
``e:``, then ``a:``) exactly as ``leadq produce`` keys records.

Delivery guarantee, for every endpoint: a 2xx answer means the broker acknowledged every
record of the request (good items on their inbound topic, bad items on the dead-letter
topic with the reason). Anything short of that answers 503 with ``Retry-After`` so the
sender retries: at least once, never silently lost; a retry after a partial failure may
duplicate records, which the worker de-duplicates by event id. A request refused whole
(bad credentials, forged signature, malformed JSON, oversize) produces nothing.

Modules, one job each: ``app`` (routes, error mapping), ``server`` (process lifecycle),
``context`` (what handlers share), ``kafka`` (producing with acknowledgements),
``body`` (size limits, gzip, JSON), ``items`` (validation, keys, dead letters),
``auth`` / ``signatures`` / ``tokens`` (who sent it), ``segment``, ``posthog``,
``posthog_events``, ``webhooks``, ``hubspot`` (the vendors' endpoints), ``health``, ``openapi``,
``responses`` (the bodies it answers with).
"""
