"""The validated facts carried on the canonical topics (``data`` of a CloudEvent)."""
