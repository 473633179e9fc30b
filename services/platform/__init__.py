"""services/platform."""
