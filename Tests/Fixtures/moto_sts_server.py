#!/usr/bin/env python3
"""moto_server, with one correction to behave like real STS when signatures are checked.

    moto_sts_server.py -H 127.0.0.1 -p PORT     (the arguments of moto_server)

Started with INITIAL_NO_AUTH_ACTION_COUNT, moto checks the SigV4 signature of every later call,
including AssumeRoleWithWebIdentity and AssumeRoleWithSAML, which real STS serves unsigned (the
web identity token is the credential): moto answers them 500. This lets exactly those two
actions through moto's ActionAuthenticatorMixin, the place where it decides, and changes
nothing else: every other call must still be signed with a known key.
"""
import sys

import moto.core.responses as responses
import moto.server

UNSIGNED_ACTIONS = {"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"}
checked = responses.ActionAuthenticatorMixin._authenticate_and_authorize_action


def authenticate(self, iam_request_cls, resource="*"):
    if self._get_action() in UNSIGNED_ACTIONS:
        return None
    return checked(self, iam_request_cls, resource)


responses.ActionAuthenticatorMixin._authenticate_and_authorize_action = authenticate

if __name__ == "__main__":
    moto.server.main(sys.argv[1:])
