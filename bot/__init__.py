"""The hub: channels customers write through and the orchestration of each conversation."""
