"""A real SMTP server for the mail tests: aiosmtpd on 127.0.0.1:<port>, STARTTLS required
(certificate and key given), every message written to <dir>/NNNN.eml with its envelope.
Prints "ready" once listening; stops when its stdin closes.
Usage: python3 smtp_server.py <port> <dir> <cert.pem> <key.pem>"""
import os
import ssl
import sys

try:
    from aiosmtpd.controller import Controller
except ImportError:
    sys.stderr.write("aiosmtpd is missing: python3 -m pip install aiosmtpd (scripts/prerequisites.sh installs it)\n")
    sys.exit(3)

port, out, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]


class Handler:
    def __init__(self):
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        path = os.path.join(out, "%04d.eml" % self.n)
        with open(path + ".tmp", "wb") as f:
            f.write(("X-Envelope-From: %s\r\n" % envelope.mail_from).encode())
            f.write(("X-Envelope-To: %s\r\n" % ",".join(envelope.rcpt_tos)).encode())
            f.write(("X-Envelope-TLS: %s\r\n" % ("yes" if session.ssl else "no")).encode())
            f.write(envelope.original_content or envelope.content)
        os.rename(path + ".tmp", path)
        return "250 OK"


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
controller = Controller(Handler(), hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True)
controller.start()
print("ready", flush=True)
try:
    sys.stdin.read()
finally:
    controller.stop()
