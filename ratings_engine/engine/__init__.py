"""The engine layer: rulebook tables compiled to durable_rules, decided one by one or in bulk.

Imports only the model.
"""
