"""The console (控制台): server-rendered pages for the district office and the units.

A backend-for-frontend: every page is built from the workflow and projections HTTP APIs, called
with the signed-in unit's own token, so the access rules are the APIs' own. The console keeps no
data of its own; reference data (unit names, actions, statutory reason lists, the working-day
calendar) is read from the workflow's packaged rule data.
"""
