"""A real SMTP client for the tests: Python's smtplib, STARTTLS optional.

usage: send.py HOST PORT FROM TO[,TO...] MESSAGE_FILE starttls|plain
Prints one line per reply that matters: "MAIL <code> <text>", "RCPT <addr> <code> <text>",
"DATA <code> <text>", and "TLS <version> <cipher>" after a handshake. Exits 0 when it ran to the
end, whatever the server answered; the test judges the replies.
"""
import smtplib
import ssl
import sys

host, port, sender, rcpts, path, mode = sys.argv[1:7]
with open(path, "rb") as f:
    message = f.read()
s = smtplib.SMTP(host, int(port), local_hostname="client.test", timeout=30)
s.ehlo()
if mode == "starttls":
    ctx = ssl.create_default_context()
    # Postern's default certificate is self-signed; the test checks TLS happens, not the CA.
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s.starttls(context=ctx)
    print("TLS", s.sock.version(), s.sock.cipher()[0], flush=True)
    s.ehlo()
code, text = s.mail(sender)
print("MAIL", code, text.decode(), flush=True)
accepted = 0
for r in rcpts.split(","):
    code, text = s.rcpt(r)
    print("RCPT", r, code, text.decode(), flush=True)
    accepted += code < 300
if accepted:
    code, text = s.data(message)
    print("DATA", code, text.decode(), flush=True)
s.quit()
