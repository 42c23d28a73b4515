"""Plugins that ship inside the rest-em distribution, registered through the ordinary hooks."""
