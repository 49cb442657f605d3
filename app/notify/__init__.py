"""Outgoing messages: an outbox table and a sender with retries (SMTP, GOV.UK Notify).

A leaf: features put messages in the outbox; nothing here imports a feature.
"""
