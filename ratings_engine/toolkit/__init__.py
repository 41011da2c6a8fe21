"""The toolkit layer: check-rules, properties, corpora, diffs, scenarios, sweeps, confidence, drafts.

Imports rating and everything below it.
"""
