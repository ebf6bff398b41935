"""The upgrade sample's story, controllers and objects (written by ../generate.py)."""
