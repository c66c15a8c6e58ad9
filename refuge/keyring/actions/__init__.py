"""Every write to keys and wraps: one function, one transaction, its own audit entry.

One module per resource: keys (made and stored), wraps (who holds a key), rotation,
shredding; base.py holds the checks and the row lock they share.
"""
