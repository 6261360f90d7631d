"""A second-language chat client for the interop test (python-socketio).

Usage: interop_client.py URL ROOM USERNAME

Connects, joins ROOM, waits for one message:new, answers it with message:send, and sends one
invalid payload. Every step is printed as one JSON line on stdout for the test to check.
Every wait has a timeout; any failure prints {"step": "error"} and exits with status 1.
"""
import json
import sys
import threading

import socketio

WAIT_SECONDS = 10


def report(step, **fields):
    print(json.dumps({"step": step, **fields}), flush=True)


def main(url, room, username):
    client = socketio.Client(reconnection=False)
    session = {}
    session_seen = threading.Event()
    received = []
    message_seen = threading.Event()

    @client.on("session")
    def on_session(data):
        session.update(data)
        session_seen.set()

    @client.on("message:new")
    def on_message(data):
        received.append(data)
        message_seen.set()

    client.connect(url, auth={"username": username}, transports=["websocket"], wait_timeout=WAIT_SECONDS)
    try:
        if not session_seen.wait(WAIT_SECONDS):
            raise TimeoutError("no session event")
        report("session", session=session)

        report("joined", ack=client.call("room:join", {"room": room}, timeout=WAIT_SECONDS))

        if not message_seen.wait(WAIT_SECONDS):
            raise TimeoutError("no message:new")
        report("received", message=received[0])

        reply = {"room": room, "text": "hello from python", "clientMsgId": "py-1"}
        report("sent", ack=client.call("message:send", reply, timeout=WAIT_SECONDS))

        report("invalid", ack=client.call("message:send", {"room": room}, timeout=WAIT_SECONDS))
    finally:
        client.disconnect()
    report("done", received=len(received))


if __name__ == "__main__":
    try:
        main(*sys.argv[1:4])
    except Exception as error:  # the test reads the reason from stdout
        report("error", reason=f"{type(error).__name__}: {error}")
        sys.exit(1)
