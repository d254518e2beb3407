"""The deadline-day load scenario (issue [production]): seed, the officer's steps, Locust."""
