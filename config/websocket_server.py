"""WebSockets under uvicorn without an extra package: autobahn's asyncio protocol as uvicorn's `--ws`.

The project serves with uvicorn because it streams request bodies to the app under flow control,
so that `config.request_limits` can refuse an oversized body before it is read; daphne (twisted)
reads the whole body, and parses form bodies, in memory before the app is called. uvicorn speaks
WebSocket only through the `websockets` or `wsproto` packages, neither of which the project
installs; autobahn, which channels' daphne already brings, implements the protocol (RFC 6455).
This class bridges it to ASGI the way daphne's `ws_protocol` does for twisted:

    uvicorn --ws config.websocket_server:AutobahnWebSocketProtocol config.asgi:application

uvicorn hands an upgrade request to the class: `__init__(config, server_state, app_state)`,
`connection_made(transport)`, then `data_received(<the request's head>)`. The handshake waits for
the app's `websocket.accept` (or refuses with 403 on `websocket.close`, 500 if the app fails).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import unquote, urlsplit

import txaio

txaio.use_asyncio()

from autobahn.asyncio.websocket import (  # noqa: E402 - after choosing asyncio for txaio
    WebSocketServerFactory,
    WebSocketServerProtocol,
)
from autobahn.websocket.types import ConnectionDeny  # noqa: E402

logger = logging.getLogger(__name__)


class AutobahnWebSocketProtocol(WebSocketServerProtocol):
    """One WebSocket connection: autobahn frames it, the ASGI app (channels) handles its messages."""

    def __init__(self, config: Any, server_state: Any, app_state: dict | None = None, _loop: Any = None):
        super().__init__()
        self.config = config
        self.app = config.loaded_app
        self.server_state = server_state
        self.app_state = app_state or {}
        loop = asyncio.get_running_loop()
        self.factory = WebSocketServerFactory(loop=loop)
        max_size = int(getattr(config, "ws_max_size", 16 * 1024 * 1024))
        self.factory.setProtocolOptions(
            maxFramePayloadSize=max_size,
            maxMessagePayloadSize=max_size,
            autoPingInterval=float(config.ws_ping_interval or 0),
            autoPingTimeout=float(config.ws_ping_timeout or 0),
        )
        self.messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.handshake: asyncio.Future | None = None
        self.opened: asyncio.Future | None = None
        self.app_task: asyncio.Task | None = None
        self.disconnected = False

    # --- uvicorn's side ---------------------------------------------------------------------

    def connection_made(self, transport: Any) -> None:
        self.server_state.connections.add(self)
        super().connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.server_state.connections.discard(self)
        self._disconnect(1006)
        super().connection_lost(exc)

    def shutdown(self) -> None:
        """Server shutting down: close open sockets as "going away" (1001), drop the others."""
        if self.state == self.STATE_OPEN:
            self.sendClose(code=1001)
        elif self.transport is not None:
            self.transport.close()

    # --- autobahn's side --------------------------------------------------------------------

    # autobahn takes a future here (the handshake waits for the app's accept); its stubs say otherwise.
    def onConnect(self, request: Any) -> asyncio.Future:  # type: ignore[override]
        target = urlsplit(self.http_request_uri or request.path)
        peer = self.transport.get_extra_info("peername")
        sock = self.transport.get_extra_info("sockname")
        headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in request.headers.items()]
        scope = {
            "type": "websocket",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "scheme": "wss" if self.transport.get_extra_info("sslcontext") else "ws",
            "server": tuple(sock[:2]) if sock else None,
            "client": tuple(peer[:2]) if peer else None,
            "root_path": self.config.root_path,
            "path": unquote(target.path),
            "raw_path": target.path.encode("latin-1"),
            "query_string": target.query.encode("latin-1"),
            "headers": headers,
            "subprotocols": list(request.protocols or []),
            "state": dict(self.app_state),
        }
        loop = asyncio.get_running_loop()
        self.handshake = loop.create_future()
        self.opened = loop.create_future()
        self.messages.put_nowait({"type": "websocket.connect"})
        self.app_task = loop.create_task(self._asgi_run(scope))
        self.server_state.tasks.add(self.app_task)
        self.app_task.add_done_callback(self.server_state.tasks.discard)
        return self.handshake

    def onOpen(self) -> None:
        if self.opened is not None and not self.opened.done():
            self.opened.set_result(True)

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        if isBinary:
            self.messages.put_nowait({"type": "websocket.receive", "bytes": payload})
        else:
            self.messages.put_nowait({"type": "websocket.receive", "text": payload.decode("utf-8")})

    def onClose(self, wasClean: bool, code: int | None, reason: str | None) -> None:
        self._disconnect(code or 1005)

    # --- the ASGI app -----------------------------------------------------------------------

    def _disconnect(self, code: int) -> None:
        if self.disconnected:
            return
        self.disconnected = True
        self._refuse(403, "Closed")
        if self.opened is not None and not self.opened.done():
            self.opened.set_result(False)
        self.messages.put_nowait({"type": "websocket.disconnect", "code": code})

    def _refuse(self, code: int, reason: str) -> None:
        if self.handshake is not None and not self.handshake.done():
            self.handshake.set_exception(ConnectionDeny(code, reason))

    async def _asgi_run(self, scope: dict[str, Any]) -> None:
        try:
            await self.app(scope, self.messages.get, self._asgi_send)
        except Exception:
            logger.exception("WebSocket application failed")
            self._refuse(500, "Internal Server Error")
            if self.state == self.STATE_OPEN:
                self.sendClose(code=1011)
        else:
            self._refuse(403, "Access denied")

    async def _asgi_send(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "websocket.accept":
            if self.handshake is not None and not self.handshake.done():
                extra = {k.decode("latin-1"): v.decode("latin-1") for k, v in message.get("headers") or []}
                subprotocol = message.get("subprotocol")
                self.handshake.set_result((subprotocol, extra) if extra else subprotocol)
            if self.opened is not None:
                # Messages sent right after the accept must not find the socket still connecting.
                await self.opened
        elif kind == "websocket.close":
            if self.handshake is not None and not self.handshake.done():
                self._refuse(403, "Access denied")
            elif self.state == self.STATE_OPEN:
                code = message.get("code") or 1000
                self.sendClose(code=code if code == 1000 or 3000 <= code <= 4999 else 1000)
        elif kind == "websocket.send":
            if self.state != self.STATE_OPEN:
                return
            if message.get("bytes") is not None:
                self.sendMessage(message["bytes"], isBinary=True)
            elif message.get("text") is not None:
                self.sendMessage(message["text"].encode("utf-8"), isBinary=False)
        else:
            raise ValueError(f"Unexpected ASGI message {kind!r} on a WebSocket")
