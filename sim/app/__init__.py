"""The trainer's what-if app: knobs read off a scenario, a variant run against it on the same customers.

``knobs`` turns a scenario into controls, ``whatif`` runs a question (``Question``) into an answer
(``Answer``) exactly as ``run_sim.py compare`` would, and ``page`` and ``server`` are the NiceGUI
front end (an optional extra: ``pip install -e ".[app]"``).
"""
