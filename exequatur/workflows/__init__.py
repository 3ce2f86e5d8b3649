"""Temporal workflows: one per relations pair, post and member, each driving its lifecycle."""
