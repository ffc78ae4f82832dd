"""ktui's benchmarks: ``python -m benchmarks --quick`` (CI) or ``--full`` (see README.md).

They report and never assert: a missed target is printed as MISSED and the exit code stays 0.
"""
