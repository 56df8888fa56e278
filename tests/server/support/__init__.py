"""Helpers the server tests share: real loopback receivers and servers. No tests here."""
