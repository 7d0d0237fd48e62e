"""The home page's dashboard per role: counts read with SQL aggregates."""
