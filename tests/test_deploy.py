"""Beyond one machine: the deployment files agree with the settings model, the worker and the
API connect over mutual TLS (nginx terminating it in front of the dev server, which has no
TLS of its own), and two workers share the load while one is stopped with SIGTERM."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import httpx
import pytest
import yaml
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from exequatur.core.codec import new_key

from exequatur.core.settings import known_variables
from tests.helpers import WEBHOOK_SECRET, verified_notice
from tests.processes import Stack, free_port

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
BIN = Path(sys.executable).parent
SECRET_NAMES = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY$|DATABASE_URL")


def _documents() -> Iterator[tuple[str, dict]]:
    yield "compose.yaml", yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                yield path.name, document
    yield "temporal-values.yaml", yaml.safe_load((DEPLOY / "helm" / "temporal-values.yaml").read_text())


def test_the_compose_file_is_one_compose_v2_and_docker_compose_1_29_read():
    """Compose v2 validates a file against the Compose Specification's schema (compose-go embeds
    it; tests/deploy/compose-spec.json is compose-spec/compose-spec@170098b, Apache-2.0);
    docker-compose 1.29, Debian 12's, refuses a top-level `name` and ignores `deploy`."""
    import jsonschema_rs

    schema = json.loads((Path(__file__).parent / "deploy" / "compose-spec.json").read_text())
    document = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    errors = [error.message for error in jsonschema_rs.validator_for(schema).iter_errors(document)]
    assert not errors
    assert "name" not in document and not any("deploy" in s for s in document["services"].values())
    if shutil.which("docker-compose"):
        read = subprocess.run(["docker-compose", "-f", str(DEPLOY / "compose.yaml"), "config", "--quiet"],
                              env={**os.environ, "CONSULAR_WEBHOOK_URL": "https://notices.example.org/"},
                              capture_output=True, text=True, timeout=60)
        assert read.returncode == 0, read.stderr


def test_every_pod_is_hardened_and_mounts_only_what_its_command_reads():
    pods = []
    for name, document in _documents():
        if document.get("kind") in ("Deployment", "Job"):
            pods.append((f"{name}:{document['metadata']['name']}", document["spec"]["template"]["spec"]))
    assert len(pods) == 4
    for where, pod in pods:
        assert pod["automountServiceAccountToken"] is False, where
        context = pod["securityContext"]
        assert context["runAsNonRoot"] and context["seccompProfile"] == {"type": "RuntimeDefault"}, where
        for container in pod["containers"]:
            own = container["securityContext"]
            assert own["allowPrivilegeEscalation"] is False and own["readOnlyRootFilesystem"] is True, where
            assert own["capabilities"] == {"drop": ["ALL"]}, where
            assert {"cpu", "memory"} <= set(container["resources"]["limits"]), where
            mounts = {m["mountPath"] for m in container["volumeMounts"]}
            assert "/tmp" in mounts and not any(m.startswith(("/run/secrets", "/var/run/secrets")) for m in mounts)
            command = container["command"][1]
            assert ("/etc/exequatur/temporal-tls" in mounts) == (command != "migrate"), where
            assert ("/etc/exequatur/secrets" in mounts) == (command != "search-attributes"), where
            if command == "worker":
                assert container["livenessProbe"]["httpGet"]["port"] == "health"
                assert pod["terminationGracePeriodSeconds"] > 30 + 5  # drain + preStop
            if command in ("worker", "api"):
                assert container["lifecycle"]["preStop"]


def _our_environment() -> Iterator[tuple[str, str, object]]:
    """(file, variable, value) for every variable given to an Exequatur container."""
    for name, document in _documents():
        if name == "compose.yaml":
            for service in document["services"].values():
                if str(service.get("image", "")).startswith("exequatur"):
                    for variable, value in (service.get("environment") or {}).items():
                        yield name, variable, value
                    for secret in service.get("secrets") or []:
                        if secret.upper() == secret:  # a secret named after its variable
                            yield name, secret, {"secret": True}
        elif document.get("kind") == "ConfigMap":
            for variable, value in document["data"].items():
                yield name, variable, value
        elif name != "temporal-values.yaml":
            spec = document.get("spec", {}).get("template", {}).get("spec", {})
            for container in spec.get("containers", []):
                for item in container.get("env", []):
                    yield name, item["name"], item.get("value", item.get("valueFrom"))


def test_every_variable_is_one_the_settings_model_knows():
    found = {variable for _, variable, _ in _our_environment()}
    assert found and found <= known_variables(), found - known_variables()


def test_images_are_pinned_and_no_secret_is_inlined():
    images = []
    for name, document in _documents():
        text = yaml.safe_dump(document)
        images += [(name, image) for image in re.findall(r"image: (\S+)", text)]
        images += [(name, f"{k}:{v}") for k, v in re.findall(r"repository: (\S+)\s+tag: (\S+)", text)]
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    stages = set(re.findall(r"^FROM \S+ AS (\S+)", dockerfile, re.M))
    images += [("Dockerfile", image) for image in re.findall(r"^FROM (\S+)", dockerfile, re.M) if image not in stages]
    assert images
    for name, image in images:
        assert re.search(r":\d[\w.-]*$|@sha256:", image) and not image.endswith(":latest"), (name, image)
    for name, variable, value in _our_environment():
        if SECRET_NAMES.search(variable):
            # A secret is referenced (a secret file, a secretKeyRef) or named by its mounted path.
            assert isinstance(value, dict) or str(value).startswith(("/run/secrets/", "/etc/exequatur/")), \
                f"{name}: {variable} is inlined; reference a secret"
    assert "USER 10001:10001" in dockerfile


def test_a_bad_setting_stops_startup_naming_the_variable(tmp_path):
    env = {**os.environ, "TEMPORAL_TLS_CERT": str(tmp_path / "missing.pem"), "TEMPORAL_TLS_KEY": str(tmp_path / "k")}
    result = subprocess.run([str(BIN / "exequatur"), "worker"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "TEMPORAL_TLS_CERT" in result.stderr
    env = {**os.environ, "CONSULAR_DATABASE_URL": "postgresql://u:hunter2@db/register"}
    shown = subprocess.run([str(BIN / "exequatur"), "config"], env=env, capture_output=True, text=True, timeout=60)
    assert "CONSULAR_DATABASE_URL=********" in shown.stdout and "hunter2" not in shown.stdout


# ---- processes --------------------------------------------------------------------------

def _payloads(message) -> Iterator[Payload]:  # type: ignore[no-untyped-def]
    """Every Payload in a history event but search attributes (indexed, so never encrypted: they
    hold codes and states, no personal data)."""
    if isinstance(message, Payload):
        yield message
        return
    for field, value in message.ListFields():
        if field.message_type is None or field.name == "search_attributes":
            continue
        if field.message_type.GetOptions().map_entry:
            items = list(value.values())
        elif hasattr(value, "ListFields"):
            items = [value]
        else:  # a repeated field
            items = list(value)
        for item in items:
            yield from _payloads(item)


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def _certificates(folder: Path) -> None:
    """A CA, a server certificate for 127.0.0.1/localhost and a client certificate (all X.509 v3)."""
    (folder / "server.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    (folder / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(folder / "ca.key"),
             "-out", str(folder / "ca.pem"), "-days", "2", "-subj", "/CN=exequatur-test-ca")
    for who in ("server", "client"):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(folder / f"{who}.key"),
                 "-out", str(folder / f"{who}.csr"), "-subj", f"/CN={'localhost' if who == 'server' else 'worker'}")
        _openssl("x509", "-req", "-in", str(folder / f"{who}.csr"), "-CA", str(folder / "ca.pem"),
                 "-CAkey", str(folder / "ca.key"), "-CAcreateserial", "-out", str(folder / f"{who}.pem"),
                 "-days", "2", "-extfile", str(folder / f"{who}.ext"))


TOKENS = {"t-bel": 'state = "BEL"', "t-lux": 'state = "LUX"', "t-dnk": 'state = "DNK"', "t-swe": 'state = "SWE"',
          "t-audit": 'role = "auditor"'}


def _walk_post(ss: httpx.Client, rs: httpx.Client, pair: tuple[str, str]) -> dict:
    assert ss.post("/v1/relations", json={"with_state": pair[1]}).status_code == 201
    accepted = rs.post(f"/v1/relations/{'-'.join(sorted(pair))}/acts/accept")  # 2(1): by mutual consent
    assert accepted.status_code == 200, accepted.text
    post = ss.post("/v1/posts", json={"receiving_state": pair[1], "seat": "Capital", "classification": "consulate",
                                      "district": "All", "headed_by": "career"}).json()
    consented = rs.post(f"/v1/posts/{post['id']}/acts/consent")
    assert consented.status_code == 200, consented.text
    return consented.json()


@pytest.fixture
def temporal_address(env) -> str:  # type: ignore[no-untyped-def]
    return str(env.client.service_client.config.target_host)


async def test_worker_and_api_over_mutual_tls_with_encrypted_payloads(tmp_path, temporal_address, env):  # type: ignore[no-untyped-def]
    _certificates(tmp_path)
    tls_port = free_port()
    (tmp_path / "nginx.conf").write_text(f"""
daemon off; pid {tmp_path}/nginx.pid; error_log {tmp_path}/nginx-error.log warn;
events {{}}
http {{
  access_log off; client_body_temp_path {tmp_path}; proxy_temp_path {tmp_path};
  server {{
    listen 127.0.0.1:{tls_port} ssl http2;
    ssl_certificate {tmp_path}/server.pem; ssl_certificate_key {tmp_path}/server.key;
    ssl_client_certificate {tmp_path}/ca.pem; ssl_verify_client on;
    location / {{ grpc_pass grpc://{temporal_address}; grpc_read_timeout 300s; grpc_send_timeout 300s; }}
  }}
}}""")
    nginx = subprocess.Popen(["/usr/sbin/nginx", "-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "nginx-error.log")])
    stack = Stack(tmp_path, f"127.0.0.1:{tls_port}", TOKENS, TEMPORAL_TLS_CA=str(tmp_path / "ca.pem"),
                  TEMPORAL_TLS_CERT=str(tmp_path / "client.pem"), TEMPORAL_TLS_KEY=str(tmp_path / "client.key"),
                  TEMPORAL_TLS_SERVER_NAME="localhost", CONSULAR_CODEC_KEYS=f"k1:{new_key()}")
    try:
        stack.start("worker", "worker")
        stack.start("api", "api")
        stack.ready()
        post = _walk_post(stack.client("t-dnk"), stack.client("t-swe"), ("DNK", "SWE"))
        assert post["state"] == "open"  # the worker, over TLS, applied and recorded the act
        # Without a client certificate the proxy refuses: the TLS settings are what made it work.
        plain = dict(stack.env, TEMPORAL_TLS_CERT="", TEMPORAL_TLS_KEY="")
        refused = subprocess.run([str(BIN / "python"), "-c", (
            "import asyncio, os; from temporalio.client import Client, TLSConfig\n"
            f"ca = open({str(tmp_path / 'ca.pem')!r}, 'rb').read()\n"
            f"asyncio.run(Client.connect('127.0.0.1:{tls_port}', tls=TLSConfig(server_root_ca_cert=ca, domain='localhost')))")],
            env=plain, capture_output=True, text=True, timeout=60)
        assert refused.returncode != 0
        # What Temporal stores is encrypted (AES-GCM, key id in the metadata); the codec endpoint
        # decodes it for an auditor, and for nobody else.
        history = await env.client.get_workflow_handle(f"post-{post['id']}").fetch_history()
        payloads = [p for event in history.events for p in _payloads(event)]
        encrypted = [p for p in payloads if p.metadata.get("encoding") == b"binary/encrypted"]
        started = list(_payloads(history.events[0]))
        assert started and all(p in encrypted for p in started)  # the record the workflow starts with
        assert len(encrypted) >= 4 and all(p.metadata["encryption-key-id"] == b"k1" for p in encrypted)
        assert not any(b"Capital" in p.data for p in payloads)  # only the SDK's own markers stay plain
        payloads = encrypted
        body = json_format.MessageToDict(Payloads(payloads=payloads))
        assert stack.client("t-dnk").post("/codec/decode", json=body).status_code == 403
        decoded = stack.client("t-audit").post("/codec/decode", json=body)
        assert decoded.status_code == 200
        plain = [base64.b64decode(p["data"]) for p in decoded.json()["payloads"]]
        assert any(b"Capital" in data for data in plain)
    finally:
        stack.stop()
        nginx.terminate()
        nginx.wait(timeout=10)


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, dict]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        document = verified_notice(self.headers, body)  # signed, and as the served schema says
        Receiver.received.append((self.headers["webhook-id"], document))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _wait_for(condition, seconds: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("not in time")


def test_two_workers_share_the_load_and_a_sigterm_loses_nothing(tmp_path, temporal_address):
    Receiver.received = []
    receiver = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    stack = Stack(tmp_path, temporal_address, TOKENS, CONSULAR_WEBHOOK_URL=f"http://127.0.0.1:{receiver.server_port}/hook",
                  CONSULAR_WEBHOOK_SECRET=WEBHOOK_SECRET)
    try:
        health, metrics = free_port(), free_port()
        first = stack.start("worker-1", "worker", CONSULAR_WORKER_HEALTH_ADDRESS=f"127.0.0.1:{health}")
        second = stack.start("worker-2", "worker")
        stack.start("api", "api", CONSULAR_API_METRICS_ADDRESS=f"127.0.0.1:{metrics}")
        stack.ready()
        # The worker's health port for the orchestrator; the API's metrics on a port of their own.
        _wait_for(lambda: httpx.get(f"http://127.0.0.1:{health}/readyz").status_code == 200)
        assert httpx.get(f"http://127.0.0.1:{health}/healthz").json() == {"status": "ok"}
        assert httpx.get(f"{stack.url}/metrics").status_code == 404
        assert "exequatur_notices_parked" in httpx.get(f"http://127.0.0.1:{metrics}/metrics").text
        bel, lux = stack.client("t-bel"), stack.client("t-lux")
        _walk_post(bel, lux, ("BEL", "LUX"))
        heads = []
        for i in range(8):
            # A head for each of eight posts (one head in functions at a post, VCCR 1(1)(c), 10(1)).
            post = bel.post("/v1/posts", json={"receiving_state": "LUX", "seat": f"Town {i}", "district": "All",
                                               "classification": "consulate", "headed_by": "career"}).json()
            assert lux.post(f"/v1/posts/{post['id']}/acts/consent").status_code == 200
            member = bel.post(f"/v1/posts/{post['id']}/members", json={
                "role": "head", "category": "career", "class": "consul",
                "person": {"full_name": f"H{i}", "nationalities": ["BEL"]}}).json()
            assert bel.post(f"/v1/members/{member['id']}/acts/present-instrument").status_code == 200
            heads.append(member["id"])
            if i == 3:
                first.send_signal(signal.SIGTERM)  # mid-way: it drains and stops
        for member_id in heads:
            response = lux.post(f"/v1/members/{member_id}/acts/admit-provisionally")
            assert response.status_code == 200, response.text
        assert first.wait(timeout=30) == 0 and second.poll() is None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            members = [bel.get(f"/v1/members/{m}").json() for m in heads]
            if all(m["district_authorities_notified_at"] for m in members):
                break
            time.sleep(0.5)
        for member in members:
            assert [a["act"] for a in member["acts"]] == [
                "appoint", "present-instrument", "admit-provisionally", "district-authorities-notified"]
        # Each notification reached the webhook once by id, verified with the shared secret.
        ids = [notice_id for notice_id, _ in Receiver.received]
        assert len(ids) == len(set(ids)) == 8 * 3  # appointment, instrument (Art. 24) and Art. 14 per head
        assert {document["recipient"] for _, document in Receiver.received} == {
            "foreign-ministry", "district-authorities"}
        # Both processes did work before the first one stopped (the load was shared).
        for name in ("worker-1", "worker-2"):
            assert "act recorded" in (tmp_path / f"{name}.log").read_text(), name
    finally:
        stack.stop()
        receiver.shutdown()


async def test_histories_export_and_replay_before_a_rollout(tmp_path, temporal_address, http):  # type: ignore[no-untyped-def]
    """`exequatur histories export` then `replay`: what an operator runs before rolling out a build."""
    from tests.helpers import Ministry

    await Ministry(http, "tok-aus").post("/v1/relations", {"with_state": "NZL"}, expect=None)
    env = {**os.environ, "TEMPORAL_ADDRESS": temporal_address}
    out = tmp_path / "histories"
    exported = subprocess.run([str(BIN / "exequatur"), "histories", "export", "--out", str(out),
                               "--query", "WorkflowId='relations-AUS-NZL'", "--limit", "5"],
                              env=env, capture_output=True, text=True, timeout=120)
    assert exported.returncode == 0, exported.stderr
    files = sorted(out.glob("*.json"))
    assert files
    replayed = subprocess.run([str(BIN / "exequatur"), "histories", "replay", str(out)],
                              env=env, capture_output=True, text=True, timeout=120)
    assert replayed.returncode == 0 and f"{len(files)} of {len(files)} histories replay" in replayed.stdout
    # A history this build cannot replay fails the command: here one whose workflow type changed.
    broken = json.loads(files[0].read_text())
    broken["events"][0]["workflowExecutionStartedEventAttributes"]["workflowType"]["name"] = "Member"
    files[0].write_text(json.dumps(broken))
    failed = subprocess.run([str(BIN / "exequatur"), "histories", "replay", str(out)],
                            env=env, capture_output=True, text=True, timeout=120)
    assert failed.returncode == 1 and "FAILED" in failed.stderr


def test_the_image_lock_is_current_and_staleness_is_caught(monkeypatch):
    """deploy/requirements.lock is compiled by uv from pyproject.toml (`make lock`); the image
    installs it with --require-hashes. A dependency changed without a new lock fails here."""
    import runpy

    lock = runpy.run_path(str(DEPLOY / "lock.py"))
    assert lock["problems"]() == []
    assert "--hash=sha256:" in (DEPLOY / "requirements.lock").read_text()
    changed = [*lock["dependencies"](), "standardwebhooks==1.0.0"]
    monkeypatch.setitem(lock["problems"].__globals__, "dependencies", lambda: changed)
    found = lock["problems"]()
    assert any("run `make lock`" in problem for problem in found)
    assert any("standardwebhooks==1.0.0 is not pinned" in problem for problem in found)
