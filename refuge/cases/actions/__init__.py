"""Every write to cases, people and compartments, one module per resource: one function, one transaction, its audit entry.

Key flow (docs/keys.md): accepting a request creates the case key, wrapped for the
chosen team and the recovery key, and gives the team the request key (so they can
talk with the requester) while the intake group lets go of it. Each compartment has
its own key, wrapped only for the members granted it. Taking a member off a team
deletes their wraps and rotates every key they held that the acting member can
open; the others stay marked `rotation_due` until a holder rotates them.

base.py holds what every write shares (the team check, the versioned lock, the case's
timeline events); each other module is one resource, named as in models, views and forms.
"""
