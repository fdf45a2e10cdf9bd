"""The clinic case log: consented cases, the same shoes over time, and the label loop back into training.

Off unless a clinician turns it on (`case_log` in configs/inference.yaml, or
the switch on the clinician page). Library code like the rest of `inference`:
the app and the CLI call it; it never imports streamlit or training, and its
export is a data set `solewear train` reads.
"""
