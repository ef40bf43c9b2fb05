"""Delivery of SDR alerts to Slack-compatible incoming webhooks (see ``agents.alerts``)."""
