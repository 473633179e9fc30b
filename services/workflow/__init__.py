"""services/workflow."""
