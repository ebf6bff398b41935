"""The builders of samples/cases/<RULE>/ by rule family (run ../make_cases.py)."""
