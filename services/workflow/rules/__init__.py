"""Versioned rule data of the workflow (work plan, routing) and its loaders."""
