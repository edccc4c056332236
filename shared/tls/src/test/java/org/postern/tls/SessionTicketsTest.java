package org.postern.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.ssl.OpenSslSessionTicketKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The key schedule and the secret file's checks; resumption on the wire is in SessionResumptionIT. */
class SessionTicketsTest {

  @TempDir
  Path dir;

  @Test
  void hkdfMatchesRfc5869WithOurSalt() {
    // RFC 5869 test case 1's input, with our fixed salt instead of the case's; the expected output
    // was computed with Python's hmac module, whose same two steps give the RFC's own OKM with the
    // RFC's salt. A change to the key schedule would split a cluster of mixed versions: it shows here.
    byte[] ikm = HexFormat.of().parseHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
    byte[] info = HexFormat.of().parseHex("f0f1f2f3f4f5f6f7f8f9");
    assertEquals(EXPECTED_OKM, HexFormat.of().formatHex(SessionTickets.hkdf(ikm, info, 42)));
  }

  private static final String EXPECTED_OKM =
      "e145a0538721d41ef9fc1e36e482c804546645a563c5df863190c6aaac8050c4b5e5f54764eb5d364961";

  @Test
  void theSameSecretAndPeriodGiveTheSameKeyAndAnotherPeriodAnother() {
    byte[] secret = "a secret of at least thirty-two bytes".getBytes(StandardCharsets.US_ASCII);
    OpenSslSessionTicketKey a = SessionTickets.key(secret, 7);
    OpenSslSessionTicketKey b = SessionTickets.key(secret.clone(), 7);
    OpenSslSessionTicketKey next = SessionTickets.key(secret, 8);
    assertArrayEquals(a.name(), b.name());
    assertArrayEquals(a.hmacKey(), b.hmacKey());
    assertArrayEquals(a.aesKey(), b.aesKey());
    assertFalse(java.util.Arrays.equals(a.name(), next.name()));
    assertFalse(java.util.Arrays.equals(a.aesKey(), next.aesKey()));
    assertFalse(java.util.Arrays.equals(a.aesKey(), a.hmacKey()));
  }

  @Test
  void periodsBeginAtMultiplesOfTheLifetime() {
    SessionTickets t = new SessionTickets(true, "", Duration.ofHours(1));
    assertEquals(Duration.ofMinutes(20), t.untilNextPeriod(Instant.parse("2026-12-07T23:40:00Z")));
    assertEquals(Duration.ofHours(1), t.untilNextPeriod(Instant.parse("2026-12-08T00:00:00Z")));
  }

  @Test
  void rotateMovesOnlyAtANewPeriod() throws IOException {
    SessionTickets t = new SessionTickets(true, "", Duration.ofHours(1));
    t.load(Instant.parse("2026-12-07T23:00:00Z"));
    assertFalse(t.rotate(Instant.parse("2026-12-07T23:59:59Z")));
    assertTrue(t.rotate(Instant.parse("2026-12-08T00:00:00Z")));
  }

  @Test
  void theSecretFileIsTrimmedAndChecked() throws IOException {
    Path ok = write("ok", "  " + "x".repeat(32) + "\n", "rw-------");
    assertEquals("x".repeat(32), new String(SessionTickets.readSecret(ok), StandardCharsets.ISO_8859_1));

    Path open = write("open", "x".repeat(40), "rw-r--r--");
    IOException e = assertThrows(IOException.class, () -> SessionTickets.readSecret(open));
    assertEquals("tls.session_ticket_key_file " + open + ": the secret is accessible by group or others; fix with: chmod 600 "
        + open, e.getMessage());

    Path shortOne = write("short", "x".repeat(31) + "\n", "rw-------");
    e = assertThrows(IOException.class, () -> SessionTickets.readSecret(shortOne));
    assertTrue(e.getMessage().startsWith("tls.session_ticket_key_file " + shortOne + ": the secret is 31 bytes, at least 32"),
        e.getMessage());

    Path missing = dir.resolve("missing");
    e = assertThrows(IOException.class, () -> SessionTickets.readSecret(missing));
    assertEquals("tls.session_ticket_key_file " + missing + " does not exist; create one with: openssl rand -base64 48 > "
        + missing + " && chmod 600 " + missing, e.getMessage());
  }

  private Path write(String name, String content, String perms) throws IOException {
    Path f = dir.resolve(name);
    Files.writeString(f, content);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(perms));
    return f;
  }
}
