"""A real smtplib client that sends raw command lines in order and prints each reply.

usage: smtp_lines.py PORT SOURCE_ADDRESS COMMAND...
A command 'MESSAGE' sends DATA, a short message and the final dot. Prints one line per reply:
'CODE text' (multi-line replies joined with '|'), the greeting first. Stops at a 421/5xx that closes.
"""
import smtplib
import sys

port, source = int(sys.argv[1]), sys.argv[2]
s = smtplib.SMTP(local_hostname="frontend.test")  # no getfqdn(): no DNS wait
s.source_address = (source, 0)
code, msg = s.connect("127.0.0.1", port)
print(code, msg.decode().replace("\n", "|"), flush=True)
for line in sys.argv[3:]:
    try:
        if line == "MESSAGE":
            code, msg = s.docmd("DATA")
            if code == 354:
                s.send(b"Subject: via xclient\r\n\r\nhello\r\n.\r\n")
                code, msg = s.getreply()
        else:
            code, msg = s.docmd(line)
    except smtplib.SMTPServerDisconnected:
        print("closed", flush=True)
        break
    print(code, msg.decode().replace("\n", "|"), flush=True)
