"""Kafka plumbing: the Faust app and topics, batch lanes and their transport, the batched
outlet, dead letters, admin calls and a plain topic reader."""
