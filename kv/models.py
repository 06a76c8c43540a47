"""The KV store's models arrive with the KV issue; the app exists so the layout is complete."""
