"""CRM integrations (HubSpot, Pipedrive): their tables, the actions after a lead, the admin API."""
