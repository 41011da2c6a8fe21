"""The render layer: every result as text, markdown, JSON, CSV, xlsx or HTML.

Imports the toolkit and everything below it.
"""
