"""Re-take the Temporal Web UI screenshots of the README (docs/screenshots/*.png).

`make screenshots` (or `.venv/bin/python docs/screenshots.py`): starts `exequatur run` on free
ports in a scratch folder, walks the README's head of post to the end of her functions, signs
in as the auditor, and photographs the UI with headless Chromium driven over the DevTools
protocol (`--remote-debugging-pipe`: no extra package). The UI is a JavaScript application, so
each shot waits until the page shows what it is taken for. Everything started is stopped.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from base64 import b64decode
from pathlib import Path
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# The page's text, and that of its frames: the UI renders Markdown (current details) in iframes.
TEXT = """[document.body ? document.body.innerText : '',
  ...[...document.querySelectorAll('iframe')].map(f => {
    try { return f.contentDocument.body.innerText } catch (e) { return '' } })].join('\\n')"""


class Browser:
    """Headless Chromium over the DevTools protocol on a pipe: JSON messages ended by NUL, the
    browser reading fd 3 and writing fd 4."""

    def __init__(self, profile: Path, width: int = 1440, height: int = 1000) -> None:
        to_browser, self._out = os.pipe()
        self._in, from_browser = os.pipe()

        def wire() -> None:  # in the child, before exec: the pipes become fds 3 and 4
            os.dup2(to_browser, 3)
            os.dup2(from_browser, 4)

        self.process = subprocess.Popen(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
             "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", "--force-device-scale-factor=1", f"--user-data-dir={profile}", "about:blank"],
            pass_fds=(3, 4), preexec_fn=wire, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser)
        os.close(from_browser)
        self._buffer, self._id = b"", 0
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=width, height=height,
                  deviceScaleFactor=1, mobile=False)

    def call(self, method: str, session: bool = False, **params: object) -> dict:  # type: ignore[type-arg]
        self._id += 1
        message: dict[str, object] = {"id": self._id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in self._buffer:
                chunk = os.read(self._in, 1 << 16)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe")
                self._buffer += chunk
            raw, self._buffer = self._buffer.split(b"\0", 1)
            answer = json.loads(raw)
            if answer.get("id") == self._id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]  # type: ignore[no-any-return]

    def evaluate(self, expression: str) -> object:
        result = self.call("Runtime.evaluate", session=True, expression=expression, awaitPromise=True,
                           returnByValue=True)
        return result["result"].get("value")

    def open(self, url: str, shows: list[str], seconds: float = 45) -> str:
        """Go to `url` and wait until the page's text contains every string of `shows`."""
        self.call("Page.navigate", session=True, url=url)
        return self.wait_for(url, shows, seconds)

    def wait_for(self, url: str, shows: list[str], seconds: float = 45) -> str:
        deadline = time.monotonic() + seconds
        text = ""
        while time.monotonic() < deadline:
            text = str(self.evaluate(TEXT) or "")
            if all(s in text for s in shows):
                time.sleep(2)  # let the last requests (the codec's decoding) paint
                return text
            time.sleep(0.5)
        raise RuntimeError(f"{url} never showed {shows}; it showed:\n{text[:6000]}")

    def shoot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", session=True, format="png")["data"]
        path.write_bytes(b64decode(data))
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size} bytes")

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except RuntimeError:
            pass
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def walk_through(api: str, tokens: str) -> tuple[str, str]:
    """The README's walk-through up to the end of functions: a post and its head, whose
    departure period (Arts. 26, 53(3)) is running."""
    token = {state: tok for tok, state in re.findall(r'"(tok-[\w-]+)" = \{ state = "(\w+)" \}', tokens)}
    fra = httpx.Client(base_url=api, headers={"Authorization": f"Bearer {token['FRA']}"}, timeout=30)
    wsm = httpx.Client(base_url=api, headers={"Authorization": f"Bearer {token['WSM']}"}, timeout=30)

    def ok(response: httpx.Response) -> dict:  # type: ignore[type-arg]
        assert response.status_code in (200, 201), response.text
        return response.json()  # type: ignore[no-any-return]

    ok(fra.post("/v1/relations", json={"with_state": "WSM", "diplomatic_missions": ["FRA"]}))
    ok(wsm.post("/v1/relations/FRA-WSM/acts/accept"))  # 2(1): Samoa consents
    post = ok(fra.post("/v1/posts", json={"receiving_state": "WSM", "seat": "Apia", "classification": "consulate",
                                          "district": "Samoa", "headed_by": "career"}))
    ok(wsm.post(f"/v1/posts/{post['id']}/acts/consent"))
    member = ok(fra.post(f"/v1/posts/{post['id']}/members", json={
        "role": "head", "category": "career", "class": "consul",
        "person": {"full_name": "Jeanne Martin", "nationalities": ["FRA"]}}))
    for ministry, act in [(fra, "present-instrument"), (wsm, "admit-provisionally"), (wsm, "grant-exequatur"),
                          (fra, "notify-arrival"), (fra, "enter-duties"), (fra, "notify-termination")]:
        ok(ministry.post(f"/v1/members/{member['id']}/acts/{act}"))
    return post["id"], member["id"]


def run_id(temporal: str, workflow_id: str) -> str:
    shown = subprocess.run([str(BIN / "temporal"), "workflow", "describe", "--address", temporal, "--output", "json",
                            "--workflow-id", workflow_id], capture_output=True, text=True, check=True, timeout=60)
    return json.loads(shown.stdout)["workflowExecutionInfo"]["execution"]["runId"]  # type: ignore[no-any-return]


def main() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="exequatur-screenshots-"))
    ports = {"CONSULAR_TEMPORAL_PORT": free_port(), "CONSULAR_TEMPORAL_UI_PORT": free_port(),
             "CONSULAR_API_PORT": free_port()}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONSULAR_", "TEMPORAL_"))}
    env.update({k: str(v) for k, v in ports.items()}, CONSULAR_VAR_DIR=str(scratch / "var"),
               CONSULAR_WORKER_METRICS_ADDRESS=f"127.0.0.1:{free_port()}")
    api, ui = f"http://127.0.0.1:{ports['CONSULAR_API_PORT']}", f"http://127.0.0.1:{ports['CONSULAR_TEMPORAL_UI_PORT']}"
    temporal = f"127.0.0.1:{ports['CONSULAR_TEMPORAL_PORT']}"
    log = (scratch / "run.log").open("wb")
    service = subprocess.Popen([str(BIN / "exequatur"), "run"], env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    browser = None
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{api}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if service.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((scratch / "run.log").read_text())
            time.sleep(0.5)
        tokens = (scratch / "var" / "tokens.toml").read_text()
        post_id, member_id = walk_through(api, tokens)
        time.sleep(2)  # visibility (the list) is eventually consistent
        OUT.mkdir(parents=True, exist_ok=True)
        browser = Browser(scratch / "chromium")
        # The auditor signs in at the API's codec login, and tells the UI to send that cookie
        # with its calls to the codec endpoint (the UI's "Codec Server" settings, kept in
        # localStorage): payloads, summaries and details are encrypted in Temporal.
        auditor = re.search(r'"(tok-auditor-\w+)"', tokens).group(1)  # type: ignore[union-attr]
        browser.open(f"{api}/codec/login", ["token"])
        browser.evaluate(f"document.querySelector('input[name=token]').value = {json.dumps(auditor)};"
                         "document.querySelector('form').submit(); true")
        browser.wait_for(f"{api}/codec/login", ["Signed in as"])
        browser.open(f"{ui}/namespaces/default/workflows", ["Workflow"])
        browser.evaluate(
            f"localStorage.setItem('endpoint', JSON.stringify({json.dumps(api + '/codec')}));"
            "localStorage.setItem('includeCredentials', 'true');"
            "localStorage.setItem('passAccessToken', 'false');"
            "localStorage.setItem('overrideRemoteCodecConfiguration', 'true'); true")
        decoding = browser.evaluate(f"fetch({json.dumps(api + '/codec/decode')}, {{method: 'POST', "
                                    "credentials: 'include', headers: {'Content-Type': 'application/json'}, "
                                    "body: JSON.stringify({payloads: []})}).then(r => r.status, e => String(e))")
        assert decoding == 200, f"the auditor's cookie does not reach the codec endpoint: {decoding}"

        query = quote(f'PostId="{post_id}"')
        browser.open(f"{ui}/namespaces/default/workflows?query={query}", [f"post-{post_id}", f"member-{member_id}"])
        browser.shoot(OUT / "workflows-of-a-post.png")
        for kind, record_id, shows in [("post", post_id, ["State: open", "(consulate, FRA in WSM)"]),
                                       ("member", member_id, ["State: terminated", "Departure period", "(head)"])]:
            workflow_id = f"{kind}-{record_id}"
            url = f"{ui}/namespaces/default/workflows/{workflow_id}/{run_id(temporal, workflow_id)}"
            browser.open(f"{url}/user-metadata", [workflow_id, *shows])
            browser.shoot(OUT / f"{kind}.png")
        browser.open(f"{url}/search-attributes", ["MemberRole", "NextDeadline", post_id])
        browser.shoot(OUT / "member-search-attributes.png")
    finally:
        if browser is not None:
            browser.close()
        os.killpg(service.pid, signal.SIGINT)  # what Ctrl-C sends to `make run`
        try:
            service.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(service.pid, signal.SIGKILL)
        log.close()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
