package org.postern.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import at.favre.lib.crypto.bcrypt.BCrypt;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** AUTH PLAIN and LOGIN (RFC 4954): offered inside TLS only, checked against bcrypt hashes. */
class AuthTest {

  static final String USER = "alice";
  static final String PASSWORD = "s3cret pass";

  @TempDir
  Path dir;

  /** A credentials file with one user, mode 0600, and a comment line. */
  static Path credentials(Path dir, String perms) throws Exception {
    Path file = dir.resolve("users-" + perms);
    // Cost 4 keeps the test fast; the format is the same as the default cost's.
    String hash = BCrypt.withDefaults().hashToString(4, PASSWORD.toCharArray());
    Files.writeString(file, "# test users\n" + USER + ":" + hash + "\n", StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(perms));
    return file;
  }

  static String plain(String user, String password) {
    return Base64.getEncoder().encodeToString(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8));
  }

  private InboundFixture start(String... extra) throws Exception {
    return InboundFixture.in(dir).set("inbound.auth_users=" + credentials(dir, "rw-------")).set(extra).start();
  }

  @Test
  void noAuthOutsideTls() throws Exception {
    try (InboundFixture f = start(); SmtpClient c = f.connect()) {
      c.expect(220);
      SmtpClient.Reply ehlo = c.command("EHLO client.test");
      assertFalse(ehlo.has("AUTH"), ehlo.text());
      assertEquals("538 5.7.11 Encryption required for requested authentication mechanism",
          c.command("AUTH PLAIN " + plain(USER, PASSWORD)).text());
      assertEquals("538 5.7.11 Encryption required for requested authentication mechanism",
          c.command("AUTH LOGIN").text());
    }
  }

  @Test
  void plainInsideTls() throws Exception {
    try (InboundFixture f = start(); SmtpClient c = f.greeted()) {
      c.starttls();
      assertTrue(c.command("EHLO client.test").has("250-AUTH PLAIN LOGIN"));
      assertEquals("535 5.7.8 Error: authentication failed", c.command("AUTH PLAIN " + plain(USER, "wrong")).text());
      assertEquals("535 5.7.8 Error: authentication failed", c.command("AUTH PLAIN " + plain("mallory", PASSWORD)).text());
      assertEquals("235 2.7.0 Authentication successful", c.command("AUTH PLAIN " + plain(USER, PASSWORD)).text());
      assertEquals("503 5.5.1 Error: already authenticated", c.command("AUTH PLAIN " + plain(USER, PASSWORD)).text());
      f.awaitLog("AUTH PLAIN succeeded for user=" + USER);
    }
  }

  @Test
  void plainWithChallengeAndLogin() throws Exception {
    try (InboundFixture f = start(); SmtpClient c = f.greeted()) {
      c.starttls();
      c.command("EHLO client.test");
      assertEquals(334, c.command("AUTH PLAIN").code());
      assertEquals("535 5.7.8 Error: authentication failed", c.command(plain(USER, "nope")).text());
      assertEquals("334 VXNlcm5hbWU6", c.command("AUTH LOGIN").text());
      assertEquals("334 UGFzc3dvcmQ6", c.command(Base64.getEncoder().encodeToString(USER.getBytes())).text());
      assertEquals("235 2.7.0 Authentication successful",
          c.command(Base64.getEncoder().encodeToString(PASSWORD.getBytes())).text());
    }
  }

  @Test
  void outsideClientRelaysOnlyAfterAuth() throws Exception {
    try (InboundFixture f = start("policy.trusted_networks=192.0.2.0/24"); SmtpClient c = f.greeted()) {
      c.starttls();
      c.command("EHLO client.test");
      assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<alice@example.org>").text());
      assertEquals("554 5.7.1 <victim@elsewhere.test>: Relay access denied",
          c.command("RCPT TO:<victim@elsewhere.test>").text());
      assertEquals("250 2.0.0 Ok", c.command("RSET").text());
      assertEquals("235 2.7.0 Authentication successful", c.command("AUTH PLAIN " + plain(USER, PASSWORD)).text());
      assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<alice@example.org>").text());
      assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<friend@elsewhere.test>").text());
      c.send("DATA\r\n");
      c.expect(354);
      c.send("Subject: authenticated\r\n\r\nhi\r\n.\r\n");
      c.expect("250 2.0.0 Ok: queued as ");
      assertTrue(f.onlySpooled().bodyText().contains(" with ESMTPSA id "), f.onlySpooled().bodyText());
    }
  }

  @Test
  void failedAuthDoesNotRelay() throws Exception {
    try (InboundFixture f = start("policy.trusted_networks=192.0.2.0/24"); SmtpClient c = f.greeted()) {
      c.starttls();
      c.command("EHLO client.test");
      assertEquals("535 5.7.8 Error: authentication failed", c.command("AUTH PLAIN " + plain(USER, "wrong")).text());
      c.command("MAIL FROM:<alice@example.org>");
      assertEquals("554 5.7.1 <victim@elsewhere.test>: Relay access denied",
          c.command("RCPT TO:<victim@elsewhere.test>").text());
    }
  }

  @Test
  void groupReadableCredentialsFileIsRefusedAtStart() throws Exception {
    Path file = credentials(dir, "rw-r-----");
    Throwable why = InboundFixture.in(dir).set("inbound.auth_users=" + file).startFailure();
    String msg = String.valueOf(why.getMessage());
    assertTrue(msg.contains(file.toString()), msg);
    assertTrue(msg.contains("chmod 600"), msg);
    assertTrue(msg.contains("inbound.auth_users"), msg);
  }
}
