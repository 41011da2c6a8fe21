"""The model layer: values every other layer hands over (rulebook schema, evidence, results, errors).

Imports nothing of the package above it.
"""
