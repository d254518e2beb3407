"""The REST API's shared plumbing every app's `api.py` uses: ordering and paging."""
