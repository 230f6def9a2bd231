"""Domain and storage shared by the API and the indexers (no transport code here)."""
