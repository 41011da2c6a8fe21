"""The rating layer: tallies, standards, the overall rating, margins, explanations, panel overrides.

Imports the engine, io and model layers.
"""
