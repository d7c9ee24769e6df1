"""The service desk: tickets with SLA clocks, push routing, business hours, notes, canned replies, follow-ups, and the scheduler that runs their due work."""
