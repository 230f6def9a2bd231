"""Subject search: index configuration and management, documents, queries and the search service.

The index lives behind the `subjects` alias (`Settings.subjects_alias`); its settings and mappings
are package data in `search_config/subjects.json`, explained in `search_config/README.md`.
"""
