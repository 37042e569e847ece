"""A real S3-compatible server on 127.0.0.1 for the shared file store's tests: moto's server
(`moto.server`, an HTTP implementation of the S3 API) in a process of its own, with IAM
checks on: the first four requests (a user, its access key, its policy, the bucket) are made
without credentials, and every request after them must be signed with that user's key, so a
wrong key is refused as a real store would refuse it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from server_helpers import free_port

BUCKET = "studio-art"
REGION = "us-east-1"


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    key: str
    secret: str

    def env(self, **changes: str) -> dict[str, str]:
        """The variables botocore reads to reach this server as its one user."""
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": self.key,
                "AWS_SECRET_ACCESS_KEY": self.secret, "AWS_DEFAULT_REGION": REGION, **changes}

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id=self.key, aws_secret_access_key=self.secret)

    def objects(self, prefix: str = "") -> dict[str, bytes]:
        """Every object under `prefix` in the bucket, read back over HTTP."""
        s3 = self.client()
        listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
        return {o["Key"]: s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read()
                for o in listed}


@contextmanager
def s3_server() -> Iterator[S3Server]:
    import boto3

    port = free_port()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "4"}
    for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        env.pop(name, None)
    process = subprocess.Popen(
        [sys.executable, "-c", "from moto.server import main; main()", "-H", "127.0.0.1",
         "-p", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, f"moto stopped: {process.stderr.read()[-2000:]}"
                assert time.monotonic() < deadline, "moto did not listen within 60 s"
                time.sleep(0.2)
        endpoint = f"http://127.0.0.1:{port}"
        anyone = {"endpoint_url": endpoint, "region_name": REGION,
                  "aws_access_key_id": "setup", "aws_secret_access_key": "setup"}
        iam = boto3.client("iam", **anyone)
        iam.create_user(UserName="studio")
        key = iam.create_access_key(UserName="studio")["AccessKey"]
        iam.put_user_policy(UserName="studio", PolicyName="art", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
        boto3.client("s3", **anyone).create_bucket(Bucket=BUCKET)
        yield S3Server(endpoint, key["AccessKeyId"], key["SecretAccessKey"])
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
