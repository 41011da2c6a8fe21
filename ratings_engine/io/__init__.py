"""The io layer: reading every input (CSV, xlsx, YAML) into located, validated values, and writing files atomically.

Imports only the model.
"""
