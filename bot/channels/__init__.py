"""Messaging channels: one adapter module per channel (``web``, ``telegram``, ``wechat``) behind ``base.Channel``."""
