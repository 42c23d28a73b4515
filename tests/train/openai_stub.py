"""A scriptable OpenAI-compatible server on 127.0.0.1 for the `openai` backend's tests.

It answers `GET /v1/models` and `POST /v1/completions` or `/v1/chat/completions`; sample i of a prompt
is `<prompt>#i`, so a test can tell exactly which request produced which text. `respond(path, body)`
may return a `Reply` to override an answer (an error; a delay, with the normal answer when `body` is None)
or None for the normal one; it runs on the request's own thread, so it may block.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class StubServer:
    def __init__(self, model: str = "stub-model", *, delay: float = 0.0,
                 respond: Callable[[str, dict[str, Any]], Reply | None] | None = None):
        self.model = model
        self.delay = delay
        self.respond = respond
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.authorizations: list[str | None] = []  # the Authorization header of each request
        self.in_flight = 0
        self.max_in_flight = 0
        self.closing = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def sampled_prompts(self) -> list[str]:
        """The prompts of every completion request received, in arrival order."""
        with self._lock:
            return [body.get("prompt") or body["messages"][-1]["content"] for path, body in self.requests
                    if path.endswith("completions")]

    def answer(self, path: str, body: dict[str, Any]) -> Reply:
        if path == "/v1/models":
            return Reply(body={"object": "list", "data": [{"id": self.model, "object": "model"}]})
        chat = path == "/v1/chat/completions"
        prompt = body["messages"][-1]["content"] if chat else body["prompt"]
        texts = [f"{prompt}#{index}" for index in range(body.get("n", 1))]
        choices = [{"index": index, "message": {"role": "assistant", "content": text}} if chat
                   else {"index": index, "text": text} for index, text in enumerate(texts)]
        return Reply(body={"choices": list(reversed(choices))})  # their order comes from `index`

    def close(self) -> None:
        self.closing.set()
        self._server.shutdown()
        self._server.server_close()

    def _serve(self, path: str, body: dict[str, Any], authorization: str | None) -> Reply:
        with self._lock:
            self.requests.append((path, body))
            self.authorizations.append(authorization)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            reply = self.respond(path, body) if self.respond else None
            if reply is None or reply.body is None:  # the normal answer, perhaps delayed
                reply = Reply(body=self.answer(path, body).body, delay=reply.delay if reply else self.delay)
            self.closing.wait(reply.delay)
            return reply
        finally:
            with self._lock:
                self.in_flight -= 1


def _handler(stub: StubServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._reply(stub._serve(self.path, {}, self.headers.get("Authorization")))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            self._reply(stub._serve(self.path, body, self.headers.get("Authorization")))

        def _reply(self, reply: Reply) -> None:
            payload = (reply.body if isinstance(reply.body, str) else json.dumps(reply.body)).encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client gave up (its deadline passed) before the answer came

        def log_message(self, *args: Any) -> None:
            pass

    return Handler
