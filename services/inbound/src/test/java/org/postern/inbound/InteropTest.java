package org.postern.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real clients against the listener: OpenSSL's s_client, swaks and Python's smtplib. A missing
 * tool fails the test (it is not skipped): install openssl, swaks and python3.
 */
class InteropTest {

  @TempDir
  Path dir;

  /** Output of a finished process. */
  record Result(int exit, String output) {}

  /** Runs a command with stdin closed, to completion within 30 s. */
  static Result run(Path workDir, String... cmd) throws Exception {
    Path out = Files.createTempFile(workDir, "out", ".txt");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    p.getOutputStream().close();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", cmd) + " did not finish within 30 s: " + Files.readString(out));
    }
    return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
  }

  // ---- openssl s_client ----

  /** s_client driven line by line: each command is written only after the previous reply. */
  static final class SClient implements AutoCloseable {
    private final Process p;
    private final OutputStream in;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> seen = new ArrayList<>();

    SClient(Path workDir, int port, String... extraArgs) throws IOException {
      List<String> cmd = new ArrayList<>(List.of("openssl", "s_client", "-starttls", "smtp", "-connect",
          "127.0.0.1:" + port, "-quiet", "-ign_eof"));
      cmd.addAll(List.of(extraArgs));
      p = new ProcessBuilder(cmd)
          .redirectError(workDir.resolve("s_client.err").toFile())
          .start();
      in = p.getOutputStream();
      Thread reader = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
          for (String l; (l = r.readLine()) != null; ) {
            lines.add(l.endsWith("\r") ? l.substring(0, l.length() - 1) : l);
          }
        } catch (IOException ignored) {
          // the process ended
        }
        lines.add("<EOF>");
      }, "s_client-reader");
      reader.setDaemon(true);
      reader.start();
    }

    /** Writes a line (CRLF added) and returns the final line of the reply. */
    String command(String line) throws Exception {
      in.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
      in.flush();
      return finalLine();
    }

    String finalLine() throws Exception {
      while (true) {
        String l = lines.poll(10, TimeUnit.SECONDS);
        assertNotNull(l, "no reply from s_client within 10 s; so far: " + seen);
        seen.add(l);
        if (l.equals("<EOF>") || l.length() < 4 || l.charAt(3) != '-') {
          return l;
        }
      }
    }

    int exit() throws Exception {
      in.close();
      assertTrue(p.waitFor(10, TimeUnit.SECONDS), "s_client did not exit after the server closed");
      return p.exitValue();
    }

    @Override
    public void close() {
      p.destroyForcibly();
    }
  }

  @Test
  void opensslStartTlsSession() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).start(); SClient s = new SClient(dir, f.port)) {
      String ehlo = s.command("EHLO client.test");
      assertEquals("250 CHUNKING", ehlo, "EHLO inside TLS; STARTTLS must not be offered again: " + s.seen);
      assertTrue(s.seen.stream().noneMatch(l -> l.contains("STARTTLS")), s.seen.toString());
      assertEquals("250 2.1.0 Ok", s.command("MAIL FROM:<a@example.org>"));
      assertEquals("250 2.1.5 Ok", s.command("RCPT TO:<b@example.net>"));
      assertEquals("354 End data with <CR><LF>.<CR><LF>", s.command("DATA"));
      assertTrue(s.command("Subject: via s_client\r\n\r\nhello over TLS\r\n.").startsWith("250 2.0.0 Ok: queued as "),
          s.seen.toString());
      assertEquals("221 2.0.0 Bye", s.command("QUIT"));
      assertEquals("<EOF>", s.finalLine());
      assertEquals(0, s.exit());
      InboundFixture.Spooled m = f.onlySpooled();
      assertTrue(m.bodyText().contains(" with ESMTPS id "), m.bodyText());
      assertTrue(m.bodyText().endsWith("\r\nSubject: via s_client\r\n\r\nhello over TLS\r\n"), m.bodyText());
    }
  }

  // ---- swaks ----

  @Test
  void swaksTlsAndAuthPlain() throws Exception {
    Path users = AuthTest.credentials(dir, "rw-------");
    try (InboundFixture f = InboundFixture.in(dir)
        .set("inbound.auth_users=" + users, "policy.trusted_networks=192.0.2.0/24").start()) {
      Result r = run(dir, "swaks", "--server", "127.0.0.1", "--port", String.valueOf(f.port),
          "--helo", "client.test", "--from", "alice@example.org", "--to", "friend@elsewhere.test",
          "--tls", "--auth", "PLAIN", "--auth-user", AuthTest.USER, "--auth-password", AuthTest.PASSWORD,
          "--timeout", "10");
      assertEquals(0, r.exit(), r.output());
      assertTrue(r.output().contains("<~  235 2.7.0 Authentication successful"), r.output());
      assertTrue(r.output().matches("(?s).*<~  250 2\\.0\\.0 Ok: queued as [0-9A-F]+.*"), r.output());
      assertTrue(f.onlySpooled().bodyText().contains(" with ESMTPSA id "), f.onlySpooled().bodyText());
    }
  }

  @Test
  void swaksWithoutAuthIsNotRelayed() throws Exception {
    // The control: the same outside client without AUTH gets 554 5.7.1 at RCPT.
    Path users = AuthTest.credentials(dir, "rw-------");
    try (InboundFixture f = InboundFixture.in(dir)
        .set("inbound.auth_users=" + users, "policy.trusted_networks=192.0.2.0/24").start()) {
      Result r = run(dir, "swaks", "--server", "127.0.0.1", "--port", String.valueOf(f.port),
          "--helo", "client.test", "--from", "alice@example.org", "--to", "friend@elsewhere.test",
          "--tls", "--timeout", "10");
      assertTrue(r.output().contains("<~* 554 5.7.1 <friend@elsewhere.test>: Relay access denied"), r.output());
      assertEquals(0, f.spool().size());
    }
  }

  @Test
  void swaksPipelining() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).start()) {
      Result r = run(dir, "swaks", "--server", "127.0.0.1", "--port", String.valueOf(f.port),
          "--helo", "client.test", "--from", "a@example.org", "--to", "b@example.net,c@example.net",
          "--pipeline", "--timeout", "10");
      assertEquals(0, r.exit(), r.output());
      assertTrue(r.output().matches("(?s).*<-  250 2\\.0\\.0 Ok: queued as [0-9A-F]+.*"), r.output());
      // Pipelined: all four commands went out before the first reply came back.
      assertTrue(r.output().contains(" -> MAIL FROM:<a@example.org>\n -> RCPT TO:<b@example.net>\n"
          + " -> RCPT TO:<c@example.net>\n -> DATA\n<-  250 2.1.0 Ok"), r.output());
      assertEquals(2, f.onlySpooled().envelope().getJsonArray("recipients").size());
    }
  }

  // ---- Python smtplib ----

  private static final String SMTPLIB = String.join("\n",
      "import smtplib, ssl, sys",
      "from email.message import EmailMessage",
      "port, user, password, sender = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]",
      "ctx = ssl.create_default_context()",
      "ctx.check_hostname = False",
      "ctx.verify_mode = ssl.CERT_NONE",
      "with smtplib.SMTP('127.0.0.1', port, local_hostname='client.test', timeout=10) as s:",
      "    s.ehlo()",
      "    print('STARTTLS offered', s.has_extn('starttls'))",
      "    code, text = s.starttls(context=ctx)",
      "    print('STARTTLS', code)",
      "    s.ehlo()",
      "    print('SMTPUTF8 offered', s.has_extn('smtputf8'), 'STARTTLS offered', s.has_extn('starttls'))",
      "    print('LOGIN', s.login(user, password)[0])",
      "    msg = EmailMessage()",
      "    msg['From'] = sender",
      "    msg['To'] = 'b@example.net'",
      "    msg['Subject'] = 'gr\u00fc\u00dfe'",
      "    msg.set_content('h\u00e9llo\\n')",
      "    refused = s.send_message(msg, mail_options=['SMTPUTF8'])",
      "    print('REFUSED', refused)",
      "    print('SENT', s.noop()[0])",
      "");

  private Result smtplib(int port, String sender) throws Exception {
    Path script = dir.resolve("send.py");
    Files.writeString(script, SMTPLIB, StandardCharsets.UTF_8);
    return run(dir, "/usr/bin/python3", script.toString(), String.valueOf(port), AuthTest.USER, AuthTest.PASSWORD,
        sender);
  }

  @Test
  void pythonSmtplibStartTlsLoginAndSmtputf8() throws Exception {
    Path users = AuthTest.credentials(dir, "rw-------");
    try (InboundFixture f = InboundFixture.in(dir)
        .set("inbound.auth_users=" + users, "policy.trusted_networks=192.0.2.0/24").start()) {
      Result r = smtplib(f.port, "alice@example.org");
      assertEquals(0, r.exit(), r.output());
      assertTrue(r.output().contains("STARTTLS 220"), r.output());
      assertTrue(r.output().contains("SMTPUTF8 offered True STARTTLS offered False"), r.output());
      assertTrue(r.output().contains("LOGIN 235"), r.output());
      assertTrue(r.output().contains("REFUSED {}"), r.output());
      InboundFixture.Spooled m = f.onlySpooled();
      assertEquals("", m.envelope().getJsonObject("mailParams").getString("SMTPUTF8"), m.envelope().encode());
      assertTrue(m.bodyText().contains(" with UTF8ESMTPSA id "), m.bodyText());
    }
  }

  @Test
  void pythonSmtplibInternationalSender() throws Exception {
    // With a non-ASCII address smtplib adds "SMTPUTF8 BODY=8BITMIME" itself, after the caller's
    // SMTPUTF8: the MAIL command carries the keyword twice, as real clients send it.
    Path users = AuthTest.credentials(dir, "rw-------");
    try (InboundFixture f = InboundFixture.in(dir)
        .set("inbound.auth_users=" + users, "policy.trusted_networks=192.0.2.0/24").start()) {
      Result r = smtplib(f.port, "j\u00f6rg@example.org");
      assertEquals(0, r.exit(), r.output());
      assertTrue(r.output().contains("REFUSED {}"), r.output());
      InboundFixture.Spooled m = f.onlySpooled();
      assertEquals("j\u00f6rg@example.org", m.envelope().getString("sender"));
      assertTrue(m.bodyText().contains("Subject: gr\u00fc\u00dfe"), m.bodyText());
    }
  }
}
