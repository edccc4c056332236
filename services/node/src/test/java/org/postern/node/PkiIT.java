package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.testkit.FreePorts;
import org.postern.testkit.TestCa;
import org.postern.tls.Fingerprints;

/**
 * {@code postern pki} as an operator uses it, through the real launcher, and a real node serving
 * what it wrote: openssl accepts every file, a revoked client certificate is verify=FAIL in a real
 * STARTTLS session, an exposed or encrypted key stops the node, an encrypted CA key serves every
 * CA command with its passphrase and none without, and replacing the certificate reaches new
 * connections without dropping an open one.
 */
class PkiIT {

  private static final Duration START = Duration.ofSeconds(90);

  @TempDir
  Path work;

  private Launcher.Run pki(String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("pki"));
    all.addAll(List.of(args));
    return Launcher.run(work, "", all.toArray(new String[0]));
  }

  private Launcher.Run ok(Launcher.Run r) {
    assertEquals(0, r.exit(), r.stdout() + r.stderr());
    return r;
  }

  private Path pkiDir() {
    return work.resolve("data/pki").toAbsolutePath();
  }

  /** The seeds' steps: own CA, server and client certificates, a revocation and its CRL. */
  private void buildPki(String serverDays) throws Exception {
    Launcher.Run ca = ok(pki("init-ca", "--subject", "/C=US/O=Example/CN=Example Mail CA", "--key", "ec:p384"));
    assertTrue(ca.stdout().contains("tls.ca_file = " + pkiDir().resolve("ca.crt")), ca.stdout());
    Launcher.Run server = ok(pki("issue", "server", "--cn", "mail.example.com", "--san", "mx2.example.com",
        "--days", serverDays));
    assertTrue(server.stdout().contains("tls.cert_chain = " + pkiDir().resolve("certs/mail.example.com.chain.pem")),
        server.stdout());
    assertTrue(server.stdout().contains("tls.key = " + pkiDir().resolve("private/mail.example.com.key")),
        server.stdout());
    ok(pki("issue", "client", "--cn", "desktop.example.net"));
    ok(pki("issue", "client", "--cn", "stolen-laptop.example.net", "--key", "rsa:2048"));
    Launcher.Run revoke = ok(pki("revoke", pkiDir().resolve("certs/stolen-laptop.example.net.crt").toString()));
    assertTrue(revoke.stdout().contains("tls.crl_file = " + pkiDir().resolve("crl.pem")), revoke.stdout());
  }

  @Test
  void everyFileTheCommandsWriteIsAcceptedByOpenssl() throws Exception {
    buildPki("365");
    Path ca = pkiDir().resolve("ca.crt");
    assertEquals(0, Clients.openssl("verify", "-CAfile", ca, "-purpose", "sslserver",
        pkiDir().resolve("certs/mail.example.com.crt")).exitCode());
    // An MTA's server certificate serves when it sends, too (seed 003).
    assertEquals(0, Clients.openssl("verify", "-CAfile", ca, "-purpose", "sslclient",
        pkiDir().resolve("certs/mail.example.com.crt")).exitCode());
    assertEquals(0, Clients.openssl("verify", "-CAfile", ca, "-purpose", "sslclient",
        pkiDir().resolve("certs/desktop.example.net.crt")).exitCode());
    Clients.Result revoked = Clients.openssl("verify", "-crl_check", "-CAfile", ca, "-CRLfile", pkiDir().resolve("crl.pem"),
        pkiDir().resolve("certs/stolen-laptop.example.net.crt"));
    assertEquals(2, revoked.exitCode(), revoked.output());
    assertTrue(revoked.output().contains("certificate revoked"), revoked.output());
    assertTrue(Clients.openssl("crl", "-in", pkiDir().resolve("crl.pem"), "-CAfile", ca, "-noout").output()
        .contains("verify OK"));
    String text = Clients.openssl("x509", "-noout", "-text", "-in", pkiDir().resolve("certs/mail.example.com.crt"))
        .output();
    assertTrue(text.contains("DNS:mail.example.com, DNS:mx2.example.com")
        && text.contains("TLS Web Server Authentication, TLS Web Client Authentication"), text);
    assertEquals("rw-------", PosixFilePermissions.toString(
        Files.getPosixFilePermissions(pkiDir().resolve("private/mail.example.com.key"))));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(pkiDir().resolve("private"))));

    // A node certificate for the cluster is both server and client.
    ok(pki("issue", "node", "--cn", "node1.cluster.example"));
    for (String purpose : List.of("sslserver", "sslclient")) {
      assertEquals(0, Clients.openssl("verify", "-CAfile", ca, "-purpose", purpose,
          pkiDir().resolve("certs/node1.cluster.example.crt")).exitCode());
    }
    // A CSR for (or from) another CA, signed by ours.
    ok(pki("csr", "--subject", "/O=Example/CN=relay.example.org", "--san", "smtp.example.org", "--dir", "req"));
    Path csr = work.resolve("req/csr/relay.example.org.csr");
    assertEquals(0, Clients.openssl("req", "-in", csr, "-noout", "-verify").exitCode());
    ok(pki("sign", csr.toString()));
    assertEquals(0, Clients.openssl("verify", "-CAfile", ca, "-purpose", "sslserver",
        pkiDir().resolve("certs/relay.example.org.crt")).exitCode());
    // The quick path.
    ok(pki("self-signed", "--cn", "quick.example.org", "--dir", "quick"));
    Path quick = work.resolve("quick/certs/quick.example.org.crt");
    assertEquals(0, Clients.openssl("verify", "-CAfile", quick, quick).exitCode());

    // show agrees with openssl about the fingerprint.
    Launcher.Run show = ok(pki("show", pkiDir().resolve("certs/mail.example.com.chain.pem").toString()));
    String fp = Clients.openssl("x509", "-in", pkiDir().resolve("certs/mail.example.com.crt"), "-noout", "-fingerprint",
        "-sha256").output();
    assertTrue(show.stdout().contains(fp.substring(fp.indexOf('=') + 1).strip()), show.stdout() + fp);
    assertTrue(show.stdout().contains("EC P-256") && show.stdout().contains("SPKI SHA-256:"), show.stdout());
  }

  @Test
  void badInputGetsOneLineAndExitCode2() throws Exception {
    String[][] cases = {
        {"postern pki: --subject: 'CN=x' must start with '/', e.g. /C=US/O=Example/CN=Example Mail CA",
            "init-ca", "--subject", "CN=x"},
        {"postern pki: --key: unknown key type 'dsa:1024' (use one of rsa:2048, rsa:3072, rsa:4096, ec:p256, ec:p384)",
            "init-ca", "--subject", "/CN=x", "--key", "dsa:1024"},
        {"postern pki: no CA in " + pkiDir() + " (" + pkiDir().resolve("ca.crt") + " does not exist); create one with:"
            + " postern pki init-ca --subject '/O=Example/CN=Example Mail CA' (or pass the right --dir)",
            "issue", "server", "--cn", "mail.example.com"},
    };
    for (String[] c : cases) {
      Launcher.Run r = pki(java.util.Arrays.copyOfRange(c, 1, c.length));
      assertEquals(2, r.exit(), r.stderr());
      assertEquals(c[0], r.stderr().strip());
      assertFalse(r.hasStackTrace(), r.stderr());
    }
    buildPki("365");
    Path bad = work.resolve("bad.csr");
    Files.writeString(bad, "-----BEGIN CERTIFICATE REQUEST-----\nMIIBAzCBqgIBADAAMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n"
        + "-----END CERTIFICATE REQUEST-----\n");
    Launcher.Run badCsr = pki("sign", bad.toString());
    assertEquals(2, badCsr.exit());
    assertTrue(badCsr.stderr().startsWith("postern pki: " + bad + ": "), badCsr.stderr());
    Launcher.Run unknown = pki("revoke", work.resolve("nope.crt").toString());
    assertEquals("postern pki: " + work.resolve("nope.crt") + ": no such file", unknown.stderr().strip());
    Launcher.Run twice = pki("revoke", pkiDir().resolve("certs/stolen-laptop.example.net.crt").toString());
    assertEquals(2, twice.exit());
    assertTrue(twice.stderr().contains("already revoked on"), twice.stderr());
    Launcher.Run foreign = pki("revoke", TestCa.create(work.resolve("other"), "Other CA").issueClient("x.example")
        .chain().toString());
    assertEquals(2, foreign.exit());
    assertTrue(foreign.stderr().contains("not issued by this CA"), foreign.stderr());
    assertEquals(2, pki("issue", "server", "--cn", "a.example", "--san", "not a name").exit());
  }

  @Test
  void anExistingNameKeepsItsLiveKeyUnlessForcedAndABadCnIsRefused() throws Exception {
    buildPki("365");
    Path key = pkiDir().resolve("private/mail.example.com.key");
    byte[] live = Files.readAllBytes(key);
    Path crt = pkiDir().resolve("certs/mail.example.com.crt");
    byte[] cert = Files.readAllBytes(crt);
    String exists = "postern pki: mail.example.com exists already (" + key + "); to renew its certificate on the same"
        + " key: postern pki renew mail.example.com; or add --force to replace its key (the live key: TLSA records of"
        + " it stop matching)";
    for (String[] again : new String[][] {{"issue", "server", "--cn", "mail.example.com"},
        {"issue", "client", "--cn", "MAIL.example.com"}, {"self-signed", "--cn", "mail.example.com"}}) {
      Launcher.Run r = pki(again);
      assertEquals(2, r.exit(), r.stdout() + r.stderr());
      assertEquals(exists, r.stderr().strip());
    }
    Launcher.Run csr = pki("csr", "--cn", "mail.example.com");
    assertEquals(2, csr.exit());
    assertEquals("postern pki: mail.example.com exists already (" + key + "); add --force to replace its key (the"
        + " live key: TLSA records of it stop matching)", csr.stderr().strip());
    assertTrue(java.util.Arrays.equals(live, Files.readAllBytes(key)), "the live key is untouched");
    assertTrue(java.util.Arrays.equals(cert, Files.readAllBytes(crt)));
    ok(pki("issue", "server", "--cn", "mail.example.com", "--force"));
    assertFalse(java.util.Arrays.equals(live, Files.readAllBytes(key)), "--force replaces it");

    String[][] badCn = {
        {"--cn: 'bad name!' is not a host name: a server certificate's CN is the name peers connect to, e.g."
            + " mail.example.com (letters, digits and hyphens in dot-separated labels), a wildcard (*.example.com) or"
            + " an IP literal", "issue", "server", "--cn", "bad name!"},
        {"--cn: 'bad name!' is not a host name: a self-signed certificate's CN is the name peers connect to, e.g."
            + " mail.example.com (letters, digits and hyphens in dot-separated labels), a wildcard (*.example.com) or"
            + " an IP literal", "self-signed", "--cn", "bad name!"},
        {"--cn: 'bad name!' is not a sane common name: use a host name (desktop.example.net), a mail address"
            + " (jose@example.net) or a plain name of letters, digits, spaces and . - _ '",
            "issue", "client", "--cn", "bad name!"},
        {"--cn: 'bad name!' is not a sane common name: use a host name (desktop.example.net), a mail address"
            + " (jose@example.net) or a plain name of letters, digits, spaces and . - _ '", "csr", "--cn", "bad name!"},
        {"--cn: 'mail_relay.example.com' is not a host name: a node certificate's CN is the name peers connect to,"
            + " e.g. mail.example.com (letters, digits and hyphens in dot-separated labels), a wildcard (*.example.com)"
            + " or an IP literal", "issue", "node", "--cn", "mail_relay.example.com"},
    };
    for (String[] c : badCn) {
      Launcher.Run r = pki(java.util.Arrays.copyOfRange(c, 1, c.length));
      assertEquals(2, r.exit(), r.stdout() + r.stderr());
      assertEquals("postern pki: " + c[0], r.stderr().strip());
      assertFalse(r.hasStackTrace(), r.stderr());
    }
    assertFalse(Files.exists(pkiDir().resolve("private/bad_name_.key")), "nothing written for a refused CN");
  }

  @Test
  void renewKeepsTheKeySoATlsaSelectorOneRecordSurvives() throws Exception {
    buildPki("10");
    Path crt = pkiDir().resolve("certs/mail.example.com.crt");
    Path key = pkiDir().resolve("private/mail.example.com.key");
    byte[] keyBefore = Files.readAllBytes(key);
    String spkiBefore = tlsa311(crt);
    String serialBefore = Clients.openssl("x509", "-in", crt, "-noout", "-serial").output().strip();
    String endBefore = Clients.openssl("x509", "-in", crt, "-noout", "-enddate").output().strip();

    Launcher.Run renewed = ok(pki("renew", "mail.example.com", "--days", "365"));
    assertTrue(renewed.stdout().contains("kept " + key + " (the same key: SPKI SHA-256 "), renewed.stdout());
    assertEquals(spkiBefore, tlsa311(crt), "the TLSA 3 1 1 record still matches");
    assertNotEquals(serialBefore, Clients.openssl("x509", "-in", crt, "-noout", "-serial").output().strip());
    assertNotEquals(endBefore, Clients.openssl("x509", "-in", crt, "-noout", "-enddate").output().strip());
    assertTrue(java.util.Arrays.equals(keyBefore, Files.readAllBytes(key)), "the key file is not rewritten");
    Path ca = pkiDir().resolve("ca.crt");
    assertEquals(0, Clients.openssl("verify", "-CAfile", ca, "-purpose", "sslserver", crt).exitCode());
    assertEquals(0, Clients.openssl("verify", "-CAfile", ca, "-purpose", "sslclient", crt).exitCode(),
        "renewal brings the server certificate today's usages");
    String text = Clients.openssl("x509", "-noout", "-text", "-in", crt).output();
    assertTrue(text.contains("DNS:mail.example.com, DNS:mx2.example.com"), text);
    assertEquals(Files.readString(crt) + Files.readString(ca),
        Files.readString(pkiDir().resolve("certs/mail.example.com.chain.pem")));

    // A self-signed certificate renews without a CA; a name with no key, or none at all, is refused.
    ok(pki("self-signed", "--cn", "quick.example.org", "--dir", "quick"));
    Path quick = work.resolve("quick/certs/quick.example.org.crt");
    String quickSpki = tlsa311(quick);
    ok(pki("renew", "quick.example.org", "--dir", "quick", "--days", "30"));
    assertEquals(quickSpki, tlsa311(quick));
    assertEquals(0, Clients.openssl("verify", "-CAfile", quick, quick).exitCode());
    Launcher.Run none = pki("renew", "nowhere.example.org");
    assertEquals(2, none.exit());
    assertEquals("postern pki: nothing to renew: " + pkiDir().resolve("certs/nowhere.example.org.crt") + " does not"
        + " exist (issue it first with postern pki issue, or pass the right --dir)", none.stderr().strip());
  }

  /** The SHA-256 of the certificate's SubjectPublicKeyInfo, as openssl computes it: a TLSA 3 1 1 record. */
  private String tlsa311(Path cert) throws Exception {
    Path spki = work.resolve("spki.der");
    Clients.Result pub = Clients.openssl("x509", "-in", cert, "-noout", "-pubkey");
    Path pem = Files.writeString(work.resolve("pub.pem"), pub.output());
    assertEquals(0, Clients.openssl("pkey", "-pubin", "-in", pem, "-outform", "DER", "-out", spki).exitCode());
    String dgst = Clients.openssl("dgst", "-sha256", spki).output().strip();
    return dgst.substring(dgst.lastIndexOf(' ') + 1);
  }

  @Test
  void anEncryptedCaKeyOpensOnlyWithItsPassphraseInEveryCaCommand() throws Exception {
    String secret = "an offline CA passphrase";
    Path pass = secret("ca.pass", secret + "\n");
    Path caKey = pkiDir().resolve("private/ca.key");
    Path ca = pkiDir().resolve("ca.crt");
    Launcher.Run init = ok(pki("init-ca", "--subject", "/O=Example/CN=Offline CA", "--key", "ec:p256",
        "--passphrase-file", pass.toString()));
    assertTrue(init.stdout().contains("wrote " + caKey + " (CA key, mode 0600, encrypted with the passphrase from"
        + " --passphrase-file " + pass + "; issue, sign, revoke and crl need it too)"), init.stdout());
    assertTrue(Files.readString(caKey).startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    assertEquals(0, Clients.openssl("pkey", "-in", caKey, "-passin", "file:" + pass, "-noout").exitCode());
    assertNotEquals(0, Clients.openssl("pkey", "-in", caKey, "-passin", "pass:wrong", "-noout").exitCode());

    List<Launcher.Run> runs = new ArrayList<>(List.of(init));
    runs.add(ok(pki("issue", "server", "--cn", "mail.example.com", "--passphrase-file", pass.toString())));
    assertEquals(0, Clients.openssl("verify", "-CAfile", ca, "-purpose", "sslserver",
        pkiDir().resolve("certs/mail.example.com.crt")).exitCode());
    runs.add(ok(Launcher.run(work, Map.of("POSTERN_CA_PASS", secret), "", "pki", "issue", "client",
        "--cn", "lost.example.net", "--passphrase-env", "POSTERN_CA_PASS")));
    ok(pki("csr", "--cn", "relay.example.org", "--dir", "req"));
    runs.add(ok(pki("sign", work.resolve("req/csr/relay.example.org.csr").toString(), "--passphrase-file",
        pass.toString())));
    assertEquals(0, Clients.openssl("verify", "-CAfile", ca, pkiDir().resolve("certs/relay.example.org.crt")).exitCode());
    Path lost = pkiDir().resolve("certs/lost.example.net.crt");
    runs.add(ok(pki("revoke", lost.toString(), "--passphrase-file", pass.toString())));
    runs.add(ok(pki("crl", "--passphrase-file", pass.toString())));
    Clients.Result revoked = Clients.openssl("verify", "-crl_check", "-CAfile", ca, "-CRLfile", pkiDir().resolve("crl.pem"),
        lost);
    assertTrue(revoked.output().contains("certificate revoked"), revoked.output());

    // What goes wrong is one line naming the key or the passphrase's source, exit 2.
    Path wrong = secret("wrong.pass", "not the passphrase\n");
    Path exposed = secret("exposed.pass", secret + "\n");
    Files.setPosixFilePermissions(exposed, PosixFilePermissions.fromString("rw-r--r--"));
    String[][] cases = {
        {"the CA key " + caKey + " is encrypted; give its passphrase with --passphrase-file FILE or --passphrase-env VAR",
            "crl"},
        {"the CA key " + caKey + ": wrong passphrase (--passphrase-file " + wrong + "), or the key file is damaged",
            "issue", "server", "--cn", "mx2.example.com", "--passphrase-file", wrong.toString()},
        {"--passphrase-file " + exposed + ": the passphrase file is accessible by group or others (rw-r--r--);"
            + " fix with: chmod 600 " + exposed, "revoke", lost.toString(), "--passphrase-file", exposed.toString()},
        {"--passphrase-env NO_SUCH_VAR: the environment variable NO_SUCH_VAR is not set",
            "crl", "--passphrase-env", "NO_SUCH_VAR"},
        {"give --passphrase-file or --passphrase-env, not both",
            "crl", "--passphrase-file", pass.toString(), "--passphrase-env", "HOME"},
    };
    for (String[] c : cases) {
      Launcher.Run r = pki(java.util.Arrays.copyOfRange(c, 1, c.length));
      assertEquals(2, r.exit(), r.stderr());
      assertEquals("postern pki: " + c[0], r.stderr().strip());
      assertFalse(r.hasStackTrace(), r.stderr());
      runs.add(r);
    }
    for (Launcher.Run r : runs) {
      assertFalse((r.stdout() + r.stderr()).contains(secret), "the passphrase is never printed: " + r);
    }
  }

  private Path secret(String name, String text) throws Exception {
    Path f = work.resolve(name);
    Files.writeString(f, text);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
    return f;
  }

  @Test
  void anEncryptedServerKeyStopsTheNodeWithTheCommandThatDecryptsIt() throws Exception {
    buildPki("365");
    Path key = pkiDir().resolve("private/mail.example.com.key");
    Path encrypted = work.resolve("encrypted.key");
    assertEquals(0, Clients.openssl("pkey", "-in", key, "-aes256", "-passout", "pass:server passphrase",
        "-out", encrypted).exitCode());
    Files.setPosixFilePermissions(encrypted, PosixFilePermissions.fromString("rw-------"));
    Files.move(encrypted, key, StandardCopyOption.REPLACE_EXISTING);
    Launcher.Run r = runNodeToCompletion();
    assertEquals(2, r.exit(), r.stderr());
    assertTrue(r.stderr().contains("postern: configuration error: " + key + ": the private key is encrypted;"
        + " Postern needs an unencrypted key (the seeds' -nodes: a daemon cannot type a passphrase); decrypt it with:"
        + " (umask 077; openssl pkey -in " + key + " -out " + key + ".plain) and configure " + key + ".plain instead"),
        r.stderr());
    assertFalse(r.stderr().contains("\tat "), r.stderr());
  }

  /** {@code postern run} with the PKI's files, for a node that must refuse to start. */
  private Launcher.Run runNodeToCompletion() throws Exception {
    List<String> args = new ArrayList<>(List.of("run"));
    for (String s : nodeSettings(FreePorts.loopback())) {
      args.add("--set");
      args.add(s);
    }
    return Launcher.run(work, "", args.toArray(new String[0]));
  }

  private List<String> nodeSettings(int smtp, String... more) {
    List<String> sets = new ArrayList<>(List.of(
        "node.hostname=mx.postern.test",
        "node.data_dir=" + work.resolve("data"),
        "queue.spool_dir=" + work.resolve("data/spool"),
        "outbound.transport=*=[127.0.0.1]:9",
        "node.admin_listen=",
        "tls.cert_chain=" + pkiDir().resolve("certs/mail.example.com.chain.pem"),
        "tls.key=" + pkiDir().resolve("private/mail.example.com.key"),
        "tls.ca_file=" + pkiDir().resolve("ca.crt"),
        "tls.crl_file=" + pkiDir().resolve("crl.pem"),
        "inbound.listeners=127.0.0.1:" + smtp + " may ccert=request"));
    sets.addAll(List.of(more));
    return sets;
  }

  @Test
  void aRevokedClientCertificateIsVerifyFailInARealSession() throws Exception {
    buildPki("365");
    int smtp = FreePorts.loopback();
    try (NodeProcess node = NodeProcess.start(work, nodeSettings(smtp))) {
      node.awaitLog("node started", START);
      try (StartTlsSession good = new StartTlsSession(work.resolve("good.err"), smtp,
          "-cert", pkiDir().resolve("certs/desktop.example.net.chain.pem").toString(),
          "-key", pkiDir().resolve("private/desktop.example.net.key").toString())) {
        assertTrue(good.command("EHLO desktop.example.net").startsWith("250"));
        node.awaitLog("STARTTLS=server, .*verify=OK", Duration.ofSeconds(20));
      }
      try (StartTlsSession stolen = new StartTlsSession(work.resolve("stolen.err"), smtp,
          "-cert", pkiDir().resolve("certs/stolen-laptop.example.net.chain.pem").toString(),
          "-key", pkiDir().resolve("private/stolen-laptop.example.net.key").toString())) {
        assertTrue(stolen.command("EHLO stolen-laptop.example.net").startsWith("250"));
        node.awaitLog("STARTTLS=server, .*verify=FAIL", Duration.ofSeconds(20));
      }
    }
  }

  @Test
  void aKeyOthersCanReadStopsTheNodeWithTheFix() throws Exception {
    buildPki("365");
    Path key = pkiDir().resolve("private/mail.example.com.key");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
    Launcher.Run r = runNodeToCompletion();
    assertEquals(2, r.exit(), r.stderr());
    assertTrue(r.stderr().contains("postern: configuration error: private key " + key
        + " is accessible by group or others (rw-r--r--); fix with: chmod 600 " + key), r.stderr());
    assertFalse(r.stderr().contains("\tat "), r.stderr());
  }

  @Test
  void aReplacedCertificateReachesNewConnectionsWhileAnOpenSessionSurvives() throws Exception {
    buildPki("10");
    int smtp = FreePorts.loopback();
    int admin = FreePorts.loopback();
    Path chain = pkiDir().resolve("certs/mail.example.com.chain.pem");
    Path key = pkiDir().resolve("private/mail.example.com.key");
    try (NodeProcess node = NodeProcess.start(work, nodeSettings(smtp, "node.admin_listen=127.0.0.1:" + admin,
        "tls.reload_interval=1s"))) {
      node.awaitLog("node started", START);
      // Ten days left, inside the default 30-day window: a warning at start, and the metric says so.
      node.awaitLog("warning: server certificate expires in 9 days, on .*CN=mail.example.com", Duration.ofSeconds(10));
      assertTrue(expiringMetric(admin).endsWith(" 1.0"), expiringMetric(admin));

      String before = Fingerprints.sha256(StartTlsSession.served(smtp));
      try (StartTlsSession open = new StartTlsSession(work.resolve("open.err"), smtp)) {
        assertTrue(open.command("EHLO old.example").startsWith("250"));

        Launcher.Run renewed = ok(pki("renew", "mail.example.com", "--days", "365"));
        String after = renewed.stdout().lines().filter(l -> l.startsWith("SHA-256 fingerprint: "))
            .findFirst().orElseThrow().substring("SHA-256 fingerprint: ".length());
        assertNotEquals(before, after);
        node.awaitLog("TLS reloaded .*SHA-256 fingerprint " + Pattern.quote(after), Duration.ofSeconds(20));
        assertEquals(after, Fingerprints.sha256(StartTlsSession.served(smtp)), "a new connection gets the new certificate");
        assertEquals("250 2.0.0 Ok", open.command("NOOP"), "the session opened before the reload goes on");
        assertEquals("250 2.1.0 Ok", open.command("MAIL FROM:<a@old.example>"));
        assertEquals("221 2.0.0 Bye", open.command("QUIT"));
        assertTrue(expiringMetric(admin).endsWith(" 0.0"), expiringMetric(admin));

        // A broken chain file is refused, named, and the renewed certificate stays in use.
        Files.writeString(chain, "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
        node.awaitLog("error: TLS reload failed \\(files changed\\): .*" + Pattern.quote(chain.toString())
            + ".*still serving the previous certificate, SHA-256 " + Pattern.quote(after), Duration.ofSeconds(20));
        assertEquals(after, Fingerprints.sha256(StartTlsSession.served(smtp)));

        // So is a key others can read, however good the pair is otherwise.
        ok(pki("self-signed", "--cn", "mail.example.com", "--dir", "staging"));
        Path stagedKey = work.resolve("staging/private/mail.example.com.key");
        Files.setPosixFilePermissions(stagedKey, PosixFilePermissions.fromString("rw-r--r--"));
        Files.move(stagedKey, key, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.copy(work.resolve("staging/certs/mail.example.com.crt"), chain, StandardCopyOption.REPLACE_EXISTING);
        node.awaitLog("error: TLS reload failed .*fix with: chmod 600 " + Pattern.quote(key.toString()),
            Duration.ofSeconds(20));
        assertEquals(after, Fingerprints.sha256(StartTlsSession.served(smtp)));

        // The fix the message names is enough: the next look loads the pair.
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        String staged = Fingerprints.sha256(org.postern.pki.Pem.certificate(chain));
        node.awaitLog("TLS reloaded .*SHA-256 fingerprint " + Pattern.quote(staged), Duration.ofSeconds(20));
        assertEquals(staged, Fingerprints.sha256(StartTlsSession.served(smtp)));
      }
    }
  }

  private static String expiringMetric(int admin) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + admin + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    return r.body().lines().filter(l -> l.startsWith("postern_tls_certificate_expiring{")
            && l.contains("subject=\"CN=mail.example.com\""))
        .findFirst().orElseThrow(() -> new AssertionError("no expiry metric for the server certificate: " + r.body()));
  }

  @Test
  void anExpiredCertificateStillServesAndTheLogSaysSoAsAnError() throws Exception {
    TestCa ca = TestCa.create(work.resolve("ca"), "Old CA");
    TestCa.Issued old = ca.issueClient("mail.example.com", Instant.now().minus(Duration.ofDays(400)),
        Instant.now().minus(Duration.ofDays(35)));
    int smtp = FreePorts.loopback();
    try (NodeProcess node = NodeProcess.start(work, List.of(
        "node.hostname=mx.postern.test", "node.data_dir=" + work.resolve("data"),
        "queue.spool_dir=" + work.resolve("data/spool"), "outbound.transport=*=[127.0.0.1]:9", "node.admin_listen=",
        "tls.cert_chain=" + old.chain(), "tls.key=" + old.key(), "inbound.listeners=127.0.0.1:" + smtp + " may"))) {
      node.awaitLog("node started", START);
      node.awaitLog("error: server certificate EXPIRED on .* \\(3[45] days ago\\): CN=mail.example.com", Duration.ofSeconds(10));
      assertEquals(Fingerprints.sha256(old.certificate()), Fingerprints.sha256(StartTlsSession.served(smtp)));
    }
  }
}
