"""Drives the official Python SDK (PyPI cms-bluebutton-sdk) against a running
portal, exactly as an app developer would, with one change: its base URL.

Protocol with the Rust test that runs it (tests/tests/sdk.rs):
  1. prints {"authorize_url": ...} on one line;
  2. reads the callback URL the browser landed on from stdin;
  3. exchanges the code, calls Patient, Coverage, ExplanationOfBenefit (every
     page), userinfo, refreshes the token, and prints one JSON line of results.

Environment: BB_BASE_URL, BB_CLIENT_ID, BB_CLIENT_SECRET, BB_CALLBACK, BB_VERSION.
"""
import json
import os
import sys
import urllib.parse

import cms_bluebutton.constants as constants
from cms_bluebutton import BlueButton

# The SDK only knows fixed hosts per environment; point LOCAL at the portal.
constants.ENVIRONMENT_URLS["LOCAL"] = os.environ["BB_BASE_URL"]

bb = BlueButton(
    {
        "environment": "LOCAL",
        "client_id": os.environ["BB_CLIENT_ID"],
        "client_secret": os.environ["BB_CLIENT_SECRET"],
        "callback_url": os.environ["BB_CALLBACK"],
        "version": int(os.environ.get("BB_VERSION", "2")),
        # Fail fast in tests instead of retrying 5xx for half a minute.
        "retry_settings": {"total": 0},
    }
)

auth_data = bb.generate_auth_data()
print(json.dumps({"authorize_url": bb.generate_authorize_url(auth_data)}), flush=True)

callback = sys.stdin.readline().strip()
query = urllib.parse.parse_qs(urllib.parse.urlsplit(callback).query)
code, state = query.get("code", [None])[0], query.get("state", [None])[0]
token = bb.get_authorization_token(auth_data, code, state)
results = {"token": token.get_dict(), "calls": {}}


def body_of(response):
    try:
        return response.json()
    except ValueError:
        return response.text


def call(name, fetch):
    global token
    outcome = fetch({"auth_token": token, "params": {}})
    token = outcome["auth_token"]
    response = outcome["response"]
    results["calls"][name] = {"status": response.status_code, "body": body_of(response)}
    return response


call("patient", bb.get_patient_data)
call("coverage", bb.get_coverage_data)
eob = call("eob", bb.get_explaination_of_benefit_data)
if eob.status_code == 200:
    pages = bb.get_pages(eob.json(), {"auth_token": token, "params": {}})
    token = pages["auth_token"]
    results["eob_pages"] = pages["pages"]
call("userinfo", bb.get_profile_data)

refreshed = bb.refresh_auth_token(token)
results["refreshed"] = refreshed.get_dict()
token = refreshed
call("userinfo_after_refresh", bb.get_profile_data)

print(json.dumps(results), flush=True)
