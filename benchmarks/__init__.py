"""Speed measurements. Run one with `python -m benchmarks NAME`.

Each benchmark is a module `benchmarks/NAME.py` with a function
`run(argv: list[str]) -> list[dict]` returning one row per measurement; the
runner prints the rows as a table and writes them, with the machine they were
measured on, to `benchmarks/results/NAME.json`. Speed is measured here, never
asserted in tests.
"""
