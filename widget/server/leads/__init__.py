"""What visitors left behind: leads and conversations for the owner (admin API, CSV export)."""
