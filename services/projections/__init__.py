"""services/projections."""
