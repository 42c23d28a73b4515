"""Model folders: checks before an engine loads one, GGUF conversion, and the tiny model built here."""
