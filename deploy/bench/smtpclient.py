#!/usr/bin/env python3
"""deploy/bench/smtpclient.py: an SMTP load client that shares no code with Postern.

A relay and its own load generator can share blind spots (the same idea of when a reply is
complete, the same TLS library), so the side-by-side benchmark (vs-postfix.sh) also drives both
relays with this script: Python's standard library only (asyncio and ssl, that is OpenSSL).

  smtpclient.py --target 127.0.0.1:2525 --sessions 100 --messages 3000 --per-connection 20 \
                [--starttls] [--size 4096] [--duration 120]

SESSIONS concurrent lanes; each lane opens a connection, reads the 220, says EHLO, with
--starttls says STARTTLS (exactly 220 expected), does the handshake (a full one every time: no
session is resumed; the certificate is not verified, as at Postfix's level "may") and says EHLO
again, then sends up to PER_CONNECTION messages (MAIL, RCPT, DATA, text, final dot; one command at
a time, no pipelining), says QUIT and starts over, until MESSAGES are claimed. DATA-to-250 is the
time from sending DATA to reading the final reply to the dot. Every reply code is checked; a
message that is refused, or whose connection fails, counts as failed and its connection is
dropped. The run is bounded by MESSAGES and by --duration (then what is under way is abandoned and
counted as such). Loopback targets only. Prints one JSON object on stdout; exit code 0 when every
message got its 250, 1 otherwise, 2 for bad options.
"""
import argparse
import asyncio
import ipaddress
import json
import ssl
import sys
import time

FROM = "sender@client.bench.invalid"
RCPT = "rcpt@dest.bench.invalid"


class Refused(Exception):
    def __init__(self, stage, reply):
        super().__init__(f"{reply[:3]} at {stage}")
        self.key = f"{reply.strip()} at {stage}"


def body(size):
    """A message of exactly `size` octets (headers included), lines of at most 78 octets + CRLF,
    none starting with a dot, so no dot-stuffing is needed."""
    head = (f"From: <{FROM}>\r\nTo: <{RCPT}>\r\nSubject: side-by-side benchmark\r\n"
            "Message-ID: <bench@client.bench.invalid>\r\n\r\n").encode()
    rest = max(0, size - len(head))
    line = b"x" * 76 + b"\r\n"
    text = line * (rest // len(line))
    tail = rest - len(text)
    if tail == 1:  # one octet left over: the last line gets it
        text = text[:-2] + b"x\r\n"
    elif tail >= 2:
        text += b"y" * (tail - 2) + b"\r\n"
    return head + text


class Run:
    def __init__(self, args):
        self.args = args
        self.host, self.port = args.target.rsplit(":", 1)
        self.host = self.host.strip("[]")
        self.remaining = args.messages
        self.ok = 0
        self.failed = 0
        self.connections = 0
        self.latencies = []
        self.errors = {}
        self.message = body(args.size) + b".\r\n"
        self.tls = None
        if args.starttls:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            self.tls.check_hostname = False
            self.tls.verify_mode = ssl.CERT_NONE
            self.tls.minimum_version = ssl.TLSVersion.TLSv1_2

    def error(self, key):
        self.errors[key] = self.errors.get(key, 0) + 1

    async def reply(self, reader, stage):
        """One whole reply (all its lines); returns its last line."""
        while True:
            line = await asyncio.wait_for(reader.readline(), self.args.timeout)
            if not line:
                raise ConnectionError(f"closed at {stage}")
            if len(line) < 4 or line[3:4] != b"-":
                return line.decode("ascii", "replace")

    async def expect(self, reader, code, stage):
        r = await self.reply(reader, stage)
        if not r.startswith(code):
            raise Refused(stage, r)
        return r

    async def command(self, reader, writer, text, code, stage):
        writer.write(text.encode() + b"\r\n")
        await writer.drain()
        return await self.expect(reader, code, stage)

    async def connection(self, claimed):
        """One connection carrying `claimed` messages; returns how many got their 250."""
        done = 0
        writer = None
        stage = "connect"
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, int(self.port)), self.args.timeout)
            self.connections += 1
            stage = "greeting"
            await self.expect(reader, "220", "greeting")
            stage = "EHLO"
            await self.command(reader, writer, "EHLO client.bench.invalid", "250", "EHLO")
            if self.tls is not None:
                await self.command(reader, writer, "STARTTLS", "220", "STARTTLS")
                stage = "TLS handshake"
                await asyncio.wait_for(writer.start_tls(self.tls), self.args.timeout)
                stage = "after TLS"
                await self.command(reader, writer, "EHLO client.bench.invalid", "250", "EHLO after TLS")
            for _ in range(claimed):
                await self.command(reader, writer, f"MAIL FROM:<{FROM}>", "250", "MAIL")
                await self.command(reader, writer, f"RCPT TO:<{RCPT}>", "250", "RCPT")
                t0 = time.perf_counter()
                await self.command(reader, writer, "DATA", "354", "DATA")
                writer.write(self.message)
                await writer.drain()
                await self.expect(reader, "250", "end of data")
                self.latencies.append((time.perf_counter() - t0) * 1000.0)
                done += 1
                self.ok += 1
            await self.command(reader, writer, "QUIT", "221", "QUIT")
        except Refused as e:
            self.error(e.key)
        except (OSError, ConnectionError, asyncio.TimeoutError, ssl.SSLError) as e:
            # The stage and the text as well as the type: "ConnectionResetError" alone cannot tell
            # a full listen backlog from a relay that gave up on a slow handshake.
            self.error(f"{type(e).__name__} at {stage}: {e}".rstrip(": "))
        except asyncio.CancelledError:
            self.error("cut short by --duration")
            raise
        finally:
            self.failed += claimed - done
            if writer is not None:
                writer.close()
        return done

    async def lane(self):
        while self.remaining > 0:
            claimed = min(self.args.per_connection, self.remaining)
            self.remaining -= claimed
            await self.connection(claimed)

    async def main(self):
        lanes = [asyncio.create_task(self.lane()) for _ in range(self.args.sessions)]
        done, pending = await asyncio.wait(lanes, timeout=self.args.duration)
        for t in pending:
            t.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        return not pending


def percentiles(values):
    if not values:
        return {}
    v = sorted(values)

    def at(q):
        return round(v[min(len(v) - 1, max(0, int(q * len(v) + 0.999999) - 1))], 2)
    return {"p50": at(0.50), "p90": at(0.90), "p99": at(0.99), "max": round(v[-1], 2)}


def loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def options():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--target", required=True, help="HOST:PORT, loopback only")
    p.add_argument("--sessions", type=int, default=10)
    p.add_argument("--messages", type=int, default=100)
    p.add_argument("--per-connection", type=int, default=1)
    p.add_argument("--size", type=int, default=4096)
    p.add_argument("--starttls", action="store_true")
    p.add_argument("--duration", type=float, default=60.0, help="hard bound in seconds (at most 3600)")
    p.add_argument("--timeout", type=float, default=60.0, help="deadline per reply and handshake")
    a = p.parse_args()
    host = a.target.rsplit(":", 1)[0].strip("[]") if ":" in a.target else ""
    if not loopback(host):
        p.error("--target must be a loopback address (127.0.0.0/8, [::1] or localhost) with a port")
    if not (1 <= a.sessions <= 20000 and 1 <= a.messages <= 10_000_000 and 1 <= a.per_connection
            and 0 < a.duration <= 3600 and 200 <= a.size <= 10_000_000):
        p.error("out of range: sessions 1..20000, messages 1..10000000, per-connection >= 1, "
                "duration 0..3600 s, size 200..10000000")
    return a


def main():
    a = options()
    run = Run(a)
    started = time.time()
    t0 = time.perf_counter()
    finished = asyncio.run(run.main())
    seconds = time.perf_counter() - t0
    not_started = a.messages - run.ok - run.failed
    report = {
        "client": f"smtpclient.py (Python {sys.version.split()[0]}, {ssl.OPENSSL_VERSION})",
        "target": a.target, "sessions": a.sessions, "perConnection": a.per_connection,
        "starttls": a.starttls, "size": a.size,
        "started": round(started, 3), "seconds": round(seconds, 3), "finished": finished,
        "connections": run.connections,
        "messages": {"requested": a.messages, "ok": run.ok, "failed": run.failed,
                     "notStarted": not_started},
        "messagesPerSecond": round(run.ok / seconds, 1) if seconds > 0 else 0,
        "dataTo250Millis": percentiles(run.latencies),
        "errors": run.errors,
    }
    print(json.dumps(report))
    return 0 if run.ok == a.messages else 1


if __name__ == "__main__":
    sys.exit(main())
