"""Shared fixtures: the real Kafka broker and PostgreSQL, started once per session."""

pytest_plugins = [
    "tests.fixtures.kafka",
    "tests.fixtures.postgres",
    "tests.fixtures.stores",
    "tests.fixtures.producers",
]
