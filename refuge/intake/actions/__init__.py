"""Every write of the intake, one module per resource (docs/development.md, "How to add a capability").

- `submissions`: a new request from the portal (`prepare_submission`, `store_submission`);
- `messages`: the requester's messages and the team's replies, declining;
- `status`: the status the requester sees, a suspected plant, the reads staff record;
- `links`: links between requests;
- `common`: the hour requester times are kept to, encrypted files.
"""
