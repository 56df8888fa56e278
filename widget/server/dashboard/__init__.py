"""The owner's dashboard pages."""
