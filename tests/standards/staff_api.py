"""Helpers of the staff API tests: a token per user and JSON requests sent with it."""

import json

from accessions.standards.api.tokens import issue_token


class TokenClient:
    """Django's test client, sending JSON with a user's API token (or none)."""

    def __init__(self, client, user=None):
        self.client = client
        self.headers = {}
        if user is not None:
            self.token, raw = issue_token(user=user, name=f"{user.username}'s script")
            self.headers = {"Authorization": f"Token {raw}"}

    def get(self, url):
        return self.client.get(url, headers=self.headers)

    def post(self, url, data):
        return self.client.post(
            url, json.dumps(data), content_type="application/json", headers=self.headers
        )

    def patch(self, url, data):
        return self.client.patch(
            url, json.dumps(data), content_type="application/json", headers=self.headers
        )

    def upload(self, url, data):
        return self.client.post(url, data, headers=self.headers)
