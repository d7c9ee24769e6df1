"""Customers: one record per person across channels (identities, contact details, every conversation)."""
