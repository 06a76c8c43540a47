"""Plumbing shared by every app's API: request ids, problem details, parsers, serializers."""
