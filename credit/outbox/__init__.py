"""The outbox area: queued changes for the indexer (`queue`), change events (`events`), and the unit of
work that writes them with each command (`work`)."""
