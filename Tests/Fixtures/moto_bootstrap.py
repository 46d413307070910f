#!/usr/bin/env python3
"""Creates the IAM identity tests sign with, in a moto_server started with
INITIAL_NO_AUTH_ACTION_COUNT=4: these four calls are the unauthenticated ones, and every request
after them must carry a valid SigV4 signature.

    moto_bootstrap.py ENDPOINT   ->  {"access_key_id": ..., "secret_access_key": ...} on stdout

Uses boto3 (installed with moto), so the fixture does not depend on the signer under test.
"""
import json
import sys

import boto3

ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def main():
    iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1",
                       aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
    iam.create_user(UserName="freightliner-test")
    policy = iam.create_policy(PolicyName="freightliner-test-all", PolicyDocument=json.dumps(ALLOW_ALL))
    iam.attach_user_policy(UserName="freightliner-test", PolicyArn=policy["Policy"]["Arn"])
    key = iam.create_access_key(UserName="freightliner-test")["AccessKey"]
    print(json.dumps({"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}))


if __name__ == "__main__":
    main()
