"""Prefect flows and the command line: thin wrappers over the jangkau library."""
