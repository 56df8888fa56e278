"""Agents and what they know: the agent table and admin API, trainings, knowledge, the demo seed."""
