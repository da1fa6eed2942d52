#!/usr/bin/env python3
"""A tiny SMTP server for the notify plugin's tests: it stores what it receives, rejects on cue.

    python3 .ci/smtp_sink.py --port 8025 --dir ~/.cache/gamarriando-smtp [--auth notify:sink-password]

Needs aiosmtpd (`pip install aiosmtpd`). Each accepted message becomes `<dir>/<message-id>.eml`
(the Message-ID made file-safe, or a UUID when there is none), written whole then renamed, with
`X-Sink-Mail-From`, `X-Sink-Rcpt-To` and `X-Sink-Auth` lines put in front of it. Recipients whose
local part starts with `reject` get `550 5.1.1 no such user`, those starting with `tempfail` get
`451 4.3.0 try later`. AUTH PLAIN/LOGIN is offered without TLS (this is a test sink) and is
optional; a client that authenticates must use the `--auth` credentials or gets 535.
"""

import argparse
import os
import re
import signal
import sys
import threading
import uuid

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def safe_name(message_id):
    name = re.sub(r"[^A-Za-z0-9@._-]", "_", message_id.strip().strip("<>"))
    return name[:200] or str(uuid.uuid4())


def message_id_of(data):
    head = data.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    m = re.search(rb"^message-id:[ \t]*(.+?)\r?$", head, re.IGNORECASE | re.MULTILINE)
    return m.group(1).decode("ascii", "replace") if m else ""


class Sink:
    def __init__(self, directory):
        self.directory = directory

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("reject"):
            return "550 5.1.1 no such user"
        if local.startswith("tempfail"):
            return "451 4.3.0 try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8")
        name = safe_name(message_id_of(data))
        path = os.path.join(self.directory, name + ".eml")
        if os.path.exists(path):
            path = os.path.join(self.directory, f"{name}.{uuid.uuid4()}.eml")
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else ""
        prefix = (
            f"X-Sink-Mail-From: {envelope.mail_from}\r\n"
            f"X-Sink-Rcpt-To: {', '.join(envelope.rcpt_tos)}\r\n"
            f"X-Sink-Auth: {login}\r\n"
        ).encode()
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(prefix + data)
        os.replace(tmp, path)
        print(f"stored {path}", flush=True)
        return "250 Message accepted for delivery"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return check


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8025)
    p.add_argument("--dir", default=os.path.expanduser("~/.cache/gamarriando-smtp"))
    p.add_argument("--auth", default="notify:sink-password", help="USER:PASSWORD accepted by AUTH")
    args = p.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    user, _, password = args.auth.partition(":")
    controller = Controller(
        Sink(args.dir),
        hostname=args.host,
        port=args.port,
        authenticator=authenticator(user, password),
        auth_require_tls=False,
        auth_required=False,
        decode_data=False,
        ready_timeout=10,
    )
    controller.start()
    print(f"smtp sink on {args.host}:{args.port}, storing into {args.dir}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
