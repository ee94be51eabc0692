"""Participatory budgets.

So far the pure part, which needs no database: reading and writing pabulib `.pb` files (`pabulib.py`) and counting a
budget exactly (`counting.py`: greedy and the Method of Equal Shares with its completions; the engine in
`counting_mes.py` and `counting_classes.py`, the vocabulary in `counting_model.py`, the per-project explanation in
`counting_explain.py`), plus
the `deliberate pb tally` command (`tally_cli.py`). Everything here imports only the standard library, so the live
count, the command line and anyone recounting published ballots run the same code.
"""
