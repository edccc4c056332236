package org.postern.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.testkit.TestCa;

/**
 * Client certificates in real STARTTLS sessions with {@code openssl s_client -cert}: verified
 * against the CA file and the CRL, recorded as sendmail's {@code verify} in the log and in the
 * Received header, enforced by {@code ccert=require}, and judged by a TLS_Clt requirement.
 */
class ClientCertificateTest {

  @TempDir
  Path dir;

  TestCa ca;
  TestCa.Issued good;
  TestCa.Issued revoked;
  TestCa.Issued stranger;
  Path crl;

  @BeforeEach
  void pki() {
    ca = TestCa.create(dir.resolve("ca"), "Example Mail CA");
    good = ca.issueClient("desktop.example.net");
    revoked = ca.issueClient("stolen-laptop.example.net");
    ca.revoke(revoked.certificate());
    crl = ca.writeCrl();
    stranger = TestCa.create(dir.resolve("other"), "Unknown CA").issueClient("stranger.example.net");
  }

  private InboundFixture node(String ccert, String... more) throws Exception {
    return node(dir, ccert, more);
  }

  private InboundFixture node(Path home, String ccert, String... more) throws Exception {
    InboundFixture.Builder b = InboundFixture.in(home)
        .set("inbound.listeners=127.0.0.1:0 may ccert=" + ccert)
        .set("tls.ca_file=" + ca.certificatePath())
        .set("tls.crl_file=" + crl);
    for (String s : more) {
      b.set(s);
    }
    return b.start();
  }

  private static InteropTest.SClient client(Path dir, InboundFixture f, TestCa.Issued cert) throws Exception {
    return cert == null ? new InteropTest.SClient(dir, f.port)
        : new InteropTest.SClient(dir, f.port, "-cert", cert.chain().toString(), "-key", cert.key().toString());
  }

  /** Sends one message; returns the final reply line of the first refused step, or of the DATA end. */
  private static String send(InteropTest.SClient c) throws Exception {
    c.command("EHLO desktop.example.net");
    String mail = c.command("MAIL FROM:<user@example.net>");
    if (!mail.startsWith("250")) {
      return mail;
    }
    String rcpt = c.command("RCPT TO:<someone@example.org>");
    if (!rcpt.startsWith("250")) {
      return rcpt;
    }
    c.command("DATA");
    return c.command("Subject: cert test\r\n\r\nhi\r\n.");
  }

  @Test
  void aCertificateFromTheTrustedCaIsVerifiedOkAndRecorded() throws Exception {
    try (InboundFixture f = node("request"); InteropTest.SClient c = client(dir, f, good)) {
      assertTrue(send(c).startsWith("250 2.0.0 Ok: queued as"));
      f.awaitLog("verify=OK");
      String received = new String(f.onlySpooled().body(), StandardCharsets.US_ASCII);
      assertTrue(received.contains("(Client CN \"desktop.example.net\", Issuer \"Example Mail CA\" (verified OK))"),
          received);
    }
  }

  @Test
  void aRevokedCertificateIsVerifyFail() throws Exception {
    try (InboundFixture f = node("request"); InteropTest.SClient c = client(dir, f, revoked)) {
      assertTrue(send(c).startsWith("250"), "ccert=request lets the session go on");
      f.awaitLog("verify=FAIL");
      assertTrue(new String(f.onlySpooled().body(), StandardCharsets.US_ASCII).contains("(not verified))"));
    }
  }

  @Test
  void anUnknownCaIsVerifyFailAndNoCertificateIsVerifyNo() throws Exception {
    try (InboundFixture f = node("request")) {
      try (InteropTest.SClient c = client(dir, f, stranger)) {
        send(c);
      }
      f.awaitLog("verify=FAIL");
      try (InteropTest.SClient c = client(dir, f, null)) {
        send(c);
      }
      f.awaitLog("verify=NO");
    }
  }

  /** As Postfix with smtpd_tls_req_ccert: one 421 4.7.1 that says why, then the close. */
  @Test
  void requireTellsAClientWithoutAVerifiedCertificateWhyOnceAndCloses() throws Exception {
    String host = InboundFixture.HOSTNAME;
    try (InboundFixture f = node("require")) {
      try (InteropTest.SClient c = client(dir, f, revoked)) {
        String reply = c.command("EHLO desktop.example.net");
        assertTrue(reply.startsWith("421 4.7.1 " + host + " Error: client certificate not verified: revoked"), reply);
        assertEquals("<EOF>", c.finalLine(), "closed after the 421");
      }
      try (InteropTest.SClient c = client(dir, f, stranger)) {
        String reply = c.command("EHLO desktop.example.net");
        assertTrue(reply.startsWith("421 4.7.1 " + host + " Error: client certificate not verified: "), reply);
        assertEquals("<EOF>", c.finalLine());
      }
      try (InteropTest.SClient c = client(dir, f, null)) {
        assertEquals("421 4.7.1 " + host + " Error: client certificate required", c.command("EHLO desktop.example.net"));
        assertEquals("<EOF>", c.finalLine());
      }
      f.awaitLog("reject: STARTTLS from unknown[127.0.0.1]: 421 4.7.1");
      try (InteropTest.SClient c = client(dir, f, good)) {
        assertTrue(send(c).startsWith("250 2.0.0 Ok: queued as"));
      }
    }
  }

  @Test
  void aTlsCltRequirementFromTheSeedsIsEnforced() throws Exception {
    Path access = dir.resolve("access");
    // The seed's example, keyed by the address this client connects from.
    Files.writeString(access, "TLS_Clt:127.0.0.1 VERIFY:128\n");
    try (InboundFixture f = node("request", "policy.access_map=" + access)) {
      try (InteropTest.SClient c = client(dir, f, null)) {
        assertEquals("403 4.7.0 not authenticated", send(c));
      }
      try (InteropTest.SClient c = client(dir, f, good)) {
        assertTrue(send(c).startsWith("250 2.0.0 Ok: queued as"));
      }
      f.awaitLog("access:1 TLS_Clt:127.0.0.1 VERIFY:128");
    }
  }

  @Test
  void tlsCltJudgesVerifyFailAndNotAndTheBitsWithSendmailsReplies() throws Exception {
    Path access = dir.resolve("access");
    Files.writeString(access, "TLS_Clt:127.0.0.1 VERIFY\n");
    try (InboundFixture f = node("request", "policy.access_map=" + access)) {
      try (InteropTest.SClient c = client(dir, f, revoked)) {
        assertEquals("403 4.7.0 authentication failed", send(c));
      }
    }
    try (InboundFixture f = node("none", "policy.access_map=" + access)) {
      try (InteropTest.SClient c = client(dir, f, good)) {
        assertEquals("403 4.7.0 no authentication requested", send(c));
      }
    }
    // No cipher has 1024 bits: the session is always too weak, permanently under PERM+.
    Files.writeString(access, "TLS_Clt:127.0.0.1 PERM+ENCR:1024\n");
    try (InboundFixture f = node("request", "policy.access_map=" + access);
        InteropTest.SClient c = client(dir, f, good)) {
      String refusal = send(c);
      assertTrue(refusal.matches("503 5\\.7\\.0 encryption too weak (128|256) less than 1024"), refusal);
      f.awaitLog("rule=" + access + ":1 TLS_Clt:127.0.0.1 PERM+ENCR:1024");
    }
  }

  @Test
  void relayByCertificateSubjectAndByIssuerNeedsAVerifiedCertificate() throws Exception {
    Path access = dir.resolve("access");
    // sendmail's spelling: OpenSSL's one-line form, spaces as +20.
    Files.writeString(access, "CERTSUBJECT:/O=Postern+20tests/CN=desktop.example.net RELAY\n");
    try (InboundFixture f = node("request", "policy.access_map=" + access, "policy.trusted_networks=")) {
      try (InteropTest.SClient c = client(dir, f, good)) {
        assertTrue(send(c).startsWith("250 2.0.0 Ok: queued as"));
      }
      try (InteropTest.SClient c = client(dir, f, null)) {
        assertEquals("554 5.7.1 <someone@example.org>: Relay access denied", send(c));
      }
      f.awaitLog("rule=default:no-open-relay");
    }
    Files.writeString(access, "CERTISSUER:/O=Postern+20tests/CN=Example+20Mail+20CA RELAY\n");
    try (InboundFixture f = node("request", "policy.access_map=" + access, "policy.trusted_networks=")) {
      try (InteropTest.SClient c = client(dir, f, good)) {
        assertTrue(send(c).startsWith("250 2.0.0 Ok: queued as"));
      }
      // Same issuer name, but revoked: verify=FAIL, so the certificate proves nothing.
      try (InteropTest.SClient c = client(dir, f, revoked)) {
        assertEquals("554 5.7.1 <someone@example.org>: Relay access denied", send(c));
      }
      try (InteropTest.SClient c = client(dir, f, stranger)) {
        assertEquals("554 5.7.1 <someone@example.org>: Relay access denied", send(c));
      }
    }
  }

  /**
   * A TLS 1.2 session is logged and stamped with OpenSSL's cipher name, as sendmail and Postfix
   * write it, and the client certificate's names are logged in sendmail's spelling: pasted into
   * the access map as they stand, they make a working CERTSUBJECT/CERTISSUER rule.
   */
  @Test
  void tls12CipherAndCertificateNamesAreLoggedAsSendmailWritesThem() throws Exception {
    String[] tls12 = {"-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"};
    String certLine;
    try (InboundFixture f = node("request", "policy.trusted_networks=")) {
      try (InteropTest.SClient c = new InteropTest.SClient(dir, f.port, concat(tls12, "-cert", good.chain().toString(),
          "-key", good.key().toString()))) {
        assertEquals("554 5.7.1 <someone@example.org>: Relay access denied", send(c));
      }
      certLine = f.awaitLog("STARTTLS=server, cert-subject=");
      String handshake = f.awaitLog("STARTTLS=server, relay=");
      assertTrue(handshake.matches(".*version=TLSv1\\.2, verify=OK, cipher=ECDHE-(ECDSA|RSA)-AES128-GCM-SHA256,"
          + " bits=128/128"), handshake);
    }
    assertTrue(certLine.endsWith("STARTTLS=server, cert-subject=/O=Postern+20tests/CN=desktop.example.net,"
        + " cert-issuer=/O=Postern+20tests/CN=Example+20Mail+20CA"), certLine);
    String subject = certLine.substring(certLine.indexOf("cert-subject=") + 13, certLine.indexOf(", cert-issuer="));
    String issuer = certLine.substring(certLine.indexOf("cert-issuer=") + 12);
    for (String entry : new String[] {"CERTSUBJECT:" + subject, "CERTISSUER:" + issuer}) {
      Path access = dir.resolve("access");
      Files.writeString(access, entry + " RELAY\n");
      Path home = Files.createDirectories(dir.resolve(entry.substring(0, entry.indexOf(':'))));
      try (InboundFixture f = node(home, "request", "policy.access_map=" + access, "policy.trusted_networks=");
          InteropTest.SClient c = new InteropTest.SClient(dir, f.port, concat(tls12, "-cert", good.chain().toString(),
              "-key", good.key().toString()))) {
        assertTrue(send(c).startsWith("250 2.0.0 Ok: queued as"), entry);
        String received = new String(f.onlySpooled().body(), StandardCharsets.US_ASCII);
        assertTrue(received.matches("(?s).*\\(using TLSv1\\.2 with cipher ECDHE-(ECDSA|RSA)-AES128-GCM-SHA256"
            + " \\(128/128 bits\\)\\).*"), received);
      }
    }
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
