"""A real SMTP server on loopback for Postern's tests, built on aiosmtpd.

Started by org.postern.testkit.SmtpSink, which picks the port, generates the
certificate and reads the messages this script writes:

  <out>/<n>.eml   the DATA content exactly as received, after dot-unstuffing
  <out>/<n>.json  {mail_from ("" for <>), rcpt_tos, tls, tls_version, cipher, tls_resumed}

The .json file is written last, by rename, so its presence means both files
are complete. Reply rules, by the recipient's local part:
  defer*  -> 451 4.3.0 try later      (at RCPT)
  reject* -> 550 5.1.1 no such user   (at RCPT)
With --tempfail-data the end of DATA gets 451 and nothing is written.
"""

import argparse
import asyncio
import itertools
import json
import os
import ssl
import sys

from aiosmtpd.smtp import SMTP


class Handler:
    def __init__(self, out_dir, tempfail_data):
        self.out_dir = out_dir
        self.tempfail_data = tempfail_data
        self.counter = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.rsplit("@", 1)[0].lower()
        if local.startswith("defer"):
            return "451 4.3.0 try later"
        if local.startswith("reject"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.tempfail_data:
            return "451 4.3.0 try later"
        n = next(self.counter)
        ssl_object = session.ssl.get("ssl_object") if session.ssl else None
        meta = {
            # aiosmtpd keeps the null reverse-path as "<>"; tests compare mailboxes.
            "mail_from": "" if envelope.mail_from == "<>" else envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "tls": session.ssl is not None,
            "tls_version": ssl_object.version() if ssl_object else None,
            "cipher": ssl_object.cipher()[0] if ssl_object else None,
            "tls_resumed": bool(ssl_object.session_reused) if ssl_object else False,
        }
        eml = os.path.join(self.out_dir, f"{n}.eml")
        with open(eml, "wb") as f:
            # original_content: bytes, CRLF line ends kept, dot-unstuffed.
            f.write(envelope.original_content)
        tmp = os.path.join(self.out_dir, f"{n}.json.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(meta, f)
        os.replace(tmp, os.path.join(self.out_dir, f"{n}.json"))
        return "250 2.0.0 OK: queued as " + str(n)


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--tempfail-data", action="store_true")
    args = p.parse_args()

    tls_context = None
    if args.cert:
        tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls_context.load_cert_chain(args.cert, args.key)

    handler = Handler(args.out, args.tempfail_data)
    loop = asyncio.get_running_loop()
    # hostname is fixed: the default calls socket.getfqdn(), which may wait on DNS.
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="sink.test", tls_context=tls_context),
        host="127.0.0.1", port=args.port)
    print(f"READY {args.port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
