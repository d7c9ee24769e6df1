"""``./cs demo``: weeks of believable, clearly simulated history, driven through the hub's real HTTP API.

``plan``: who the simulated customers are and what each does when (pure, seeded).
``run``: plays the plan against a hub started with the demo clock (``CS_DEMO_CLOCK=true``), and wipes it again.
"""
