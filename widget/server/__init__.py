"""The widget server: FastAPI app, SQL store, chat and admin APIs, webhook delivery."""
