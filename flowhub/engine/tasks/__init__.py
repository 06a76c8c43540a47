"""Built-in task types, grouped by Kestra plugin family."""
