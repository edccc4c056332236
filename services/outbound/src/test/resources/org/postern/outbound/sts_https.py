"""MTA-STS policy host for tests: HTTPS on 127.0.0.1, one certificate for every mta-sts.* name.

For GET /.well-known/mta-sts.txt with Host h it answers from files in ROOT: h.txt (200, text/plain),
h.redirect (301 to the URL inside), h.big (200, text/plain, 100 KiB with no Content-Length), h.html
(200, text/html); anything else 404. Each request is logged to stderr as 'GET host path'.
Usage: sts_https.py ROOT PORT CHAIN KEY; prints 'ready' once it listens.
"""
import http.server
import os
import ssl
import sys

root, port, chain, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        host = (self.headers.get('Host') or '').split(':')[0]
        sys.stderr.write('GET %s %s\n' % (host, self.path))
        sys.stderr.flush()
        base = os.path.join(root, host)
        if self.path != '/.well-known/mta-sts.txt':
            self.reply(404, None, b'')
        elif os.path.exists(base + '.redirect'):
            self.send_response(301)
            self.send_header('Location', open(base + '.redirect').read().strip())
            self.end_headers()
        elif os.path.exists(base + '.big'):
            self.send_response(200)
            self.send_header('Content-Type', 'text/plain')
            self.end_headers()
            self.wfile.write(b'version: STSv1\nmode: enforce\n' + b'x' * (100 * 1024))
        elif os.path.exists(base + '.html'):
            self.reply(200, 'text/html', open(base + '.html', 'rb').read())
        elif os.path.exists(base + '.txt'):
            self.reply(200, 'text/plain; charset=utf-8', open(base + '.txt', 'rb').read())
        else:
            self.reply(404, None, b'')

    def reply(self, status, ctype, body):
        self.send_response(status)
        if ctype:
            self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(('127.0.0.1', port), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(chain, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
print('ready', flush=True)
server.serve_forever()
