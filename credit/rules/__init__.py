"""The pure credit rules: measures catalogue, disclosure periods, working days and flags.

Nothing here touches a database or the network; the only I/O is reading the packaged JSON data
files under `credit/rules/data/` (the catalogue and the disclosure-period table), once, on first use.
"""
