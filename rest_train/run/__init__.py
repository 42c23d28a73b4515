"""A run: the loops of both modes, the runner that picks one, the graders by role, resume and records."""
