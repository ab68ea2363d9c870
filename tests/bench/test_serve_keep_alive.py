"""Page workers keep an idle connection longer than the campaign's clients (and browsers) wait
before reusing one: the server never closes a connection the client is sending on."""

from bench.scenarios.campaign import IDLE_CLOSE_S
from config.serve import KEEP_ALIVE_SECONDS, web_command


def test_page_workers_hold_idle_connections_longer_than_a_client_reuses_them() -> None:
    command = web_command("127.0.0.1", 8001, access_log=False)
    held = float(command[command.index("--keep-alive") + 1])
    assert held == KEEP_ALIVE_SECONDS
    assert held > IDLE_CLOSE_S
