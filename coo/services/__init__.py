"""Rules of the system, one place each. Routes and jobs call these; they never re-state a rule."""
