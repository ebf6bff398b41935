"""The scenario generator: a small engine and one story module per scenario (see ../generate_scenarios.py)."""
