"""Installed as ``leadq_rules``: the example rules and routing files shipped with leadq.

Data only (see ``schemas/examples.py``); this file makes the folder a regular package so
``importlib.resources`` finds the files in every kind of install.
"""
