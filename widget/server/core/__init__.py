"""What every part of the server shares: settings, the database, errors, auth, ids, API models,
static files and the request guards (body limits, allowed methods, origins)."""
