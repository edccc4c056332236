package org.postern.node;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import org.postern.pki.CertificateAuthority;
import org.postern.pki.CertificateReport;
import org.postern.pki.CertificateRequests;
import org.postern.pki.DistinguishedNames;
import org.postern.pki.Issued;
import org.postern.pki.KeySpec;
import org.postern.pki.Passphrase;
import org.postern.pki.PkiDirectory;
import org.postern.pki.PkiException;
import org.postern.pki.Profile;
import org.postern.pki.Renewal;
import org.postern.pki.SelfSigned;
import org.postern.tls.Fingerprints;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code postern pki}: the seeds' openssl and CA.pl steps done by Postern itself. Each command
 * prints the files it wrote and the configuration lines that use them. Bad input gets one line
 * naming what is wrong and exit code 2.
 */
@Command(name = "pki", mixinStandardHelpOptions = true,
    description = {"Own CA, server, client and node certificates, CSRs and CRLs (instead of openssl and CA.pl).",
        "Files go under --dir (default data/pki, i.e. <node.data_dir>/pki); keys are 0600 in a 0700 directory."},
    subcommands = {PkiCommand.InitCa.class, PkiCommand.Issue.class, PkiCommand.Renew.class,
        PkiCommand.SelfSignedCmd.class, PkiCommand.Csr.class, PkiCommand.Sign.class, PkiCommand.Revoke.class, PkiCommand.Crl.class,
        PkiCommand.Show.class})
final class PkiCommand extends CommandGroup {

  /** Where the PKI's files live. */
  static final class Dir {
    @Option(names = "--dir", paramLabel = "DIR", defaultValue = "data/pki",
        description = "PKI directory (default: ${DEFAULT-VALUE}, <node.data_dir>/pki for the default data dir).")
    Path dir;

    PkiDirectory open() {
      return new PkiDirectory(dir);
    }
  }

  /**
   * The CA key's passphrase: from a 0600 file or an environment variable, never the command line
   * itself, where ps and the shell history would show it.
   */
  static final class CaPassphrase {
    @Option(names = "--passphrase-file", paramLabel = "FILE",
        description = "The CA key's passphrase is the first line of FILE (mode 0600), as for openssl -passin file:.")
    Path file;

    @Option(names = "--passphrase-env", paramLabel = "VAR",
        description = "The CA key's passphrase is the value of the environment variable VAR.")
    String env;

    /** The passphrase, or null when neither option was given. */
    Passphrase read() throws PkiException {
      if (file != null && env != null) {
        throw new PkiException("give --passphrase-file or --passphrase-env, not both");
      }
      if (file != null) {
        return Passphrase.fromFile(file);
      }
      return env == null ? null : Passphrase.fromEnvironment(env, System.getenv());
    }
  }

  /** Runs a command that signs with the CA key, which may be encrypted. */
  abstract static class WithCa extends Base {
    @Mixin
    CaPassphrase passphrase;

    CertificateAuthority openCa() throws PkiException {
      return CertificateAuthority.open(dir.open(), passphrase.read());
    }
  }

  /** What a new key and certificate are made of: name, other names, key type, validity. */
  static final class Leaf {
    @Option(names = "--cn", required = true, description = "Common name: the host name for a server.")
    String cn;

    @Option(names = "--san", paramLabel = "NAMES", defaultValue = "",
        description = "More names, comma-separated: host names, *.wildcards, IP literals, mail addresses.")
    String sans;

    @Option(names = "--key", defaultValue = "ec:p256", paramLabel = "TYPE",
        description = "rsa:2048, rsa:3072, rsa:4096, ec:p256 or ec:p384 (default: ${DEFAULT-VALUE}).")
    String key;

    @Option(names = "--days", defaultValue = "365", description = "Validity in days (default: ${DEFAULT-VALUE}).")
    int days;

    @Option(names = "--force",
        description = "Replace the key of a name that has one already (the live key: TLSA records of it stop matching).")
    boolean force;
  }

  /** Runs one command, turning expected failures into one line on stderr. */
  abstract static class Base implements Callable<Integer> {
    @Mixin
    Dir dir;

    abstract void run() throws PkiException, IOException;

    @Override
    public Integer call() {
      try {
        run();
        return 0;
      } catch (PkiException e) {
        System.err.println("postern pki: " + e.getMessage());
        return 2;
      } catch (IOException e) {
        System.err.println("postern pki: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
        return 1;
      }
    }
  }

  @Command(name = "init-ca", mixinStandardHelpOptions = true,
      description = {"Create the CA: a key and a self-signed CA certificate (CA.pl -newca); its certificate is tls.ca_file.",
          "With --passphrase-file or --passphrase-env the CA key is encrypted, and every command that signs needs it."})
  static final class InitCa extends WithCa {
    @Option(names = "--subject", required = true, paramLabel = "DN",
        description = "The CA's name, e.g. '/C=US/O=Example/CN=Example Mail CA'.")
    String subject;

    @Option(names = "--key", defaultValue = "rsa:4096", paramLabel = "TYPE",
        description = "rsa:2048, rsa:3072, rsa:4096, ec:p256 or ec:p384 (default: ${DEFAULT-VALUE}).")
    String key;

    @Option(names = "--days", defaultValue = "3650", description = "Validity in days (default: ${DEFAULT-VALUE}).")
    int days;

    @Override
    void run() throws PkiException, IOException {
      PkiDirectory d = dir.open();
      Passphrase pass = passphrase.read();
      CertificateAuthority ca = CertificateAuthority.init(d, DistinguishedNames.parse(subject), KeySpec.parse(key), days,
          pass);
      wrote(d.caCertificate(), "CA certificate, valid until " + ca.certificate().getNotAfter().toInstant());
      wrote(d.caKey(), pass == null ? "CA key, mode 0600, unencrypted"
          : "CA key, mode 0600, encrypted with the passphrase from " + pass.source()
              + "; issue, sign, revoke and crl need it too");
      wrote(d.crl(), "empty CRL");
      System.out.println("SHA-256 fingerprint: " + Fingerprints.sha256(ca.certificate()));
      config("tls.ca_file = " + d.caCertificate(), "tls.crl_file = " + d.crl());
    }
  }

  @Command(name = "issue", mixinStandardHelpOptions = true,
      description = "Issue a key and certificate signed by the CA (CA.pl -newreq then -sign).")
  static final class Issue extends WithCa {
    @Parameters(paramLabel = "PROFILE", description = {"server (serverAuth and clientAuth: an MTA shows it when it",
        "receives and when it sends), client (clientAuth) or node (both, for the cluster)."})
    String profile;

    @Mixin
    Leaf leaf;

    @Override
    void run() throws PkiException, IOException {
      Profile p = Profile.leaf(profile);
      KeySpec spec = KeySpec.parse(leaf.key);
      CertificateAuthority ca = openCa();
      report(ca.issue(p, leaf.cn, leaf.sans, spec, leaf.days, leaf.force), p);
    }
  }

  @Command(name = "renew", mixinStandardHelpOptions = true,
      description = {"A new certificate on the key NAME already has (openssl req -x509 -new -key): same names,",
          "same public key (TLSA records of selector 1 stay valid), new serial and validity. A self-signed",
          "certificate is renewed self-signed, one from the CA by the CA."})
  static final class Renew extends WithCa {
    @Parameters(paramLabel = "NAME", description = "The name as in certs/NAME.crt and private/NAME.key (its CN).")
    String name;

    @Option(names = "--days", defaultValue = "365", description = "Validity in days (default: ${DEFAULT-VALUE}).")
    int days;

    @Override
    void run() throws PkiException, IOException {
      PkiDirectory d = dir.open();
      Renewal old = Renewal.read(d, name);
      Issued issued = old.selfSigned() ? SelfSigned.renew(d, old, days) : openCa().renew(old, days);
      System.out.println("renewed " + issued.certificate().getSubjectX500Principal().getName() + ": serial "
          + serial(old.certificate()) + " valid until " + old.certificate().getNotAfter().toInstant() + " is now serial "
          + serial(issued.certificate()) + " valid until " + issued.certificate().getNotAfter().toInstant());
      wrote(issued.certificateFile(), "certificate");
      if (!issued.chainFile().equals(issued.certificateFile())) {
        wrote(issued.chainFile(), "the certificate, then the CA");
      }
      System.out.println("kept " + issued.keyFile() + " (the same key: SPKI SHA-256 "
          + Fingerprints.spkiSha256(issued.certificate().getPublicKey()) + ", so TLSA records of selector 1 stay valid)");
      System.out.println("SHA-256 fingerprint: " + Fingerprints.sha256(issued.certificate()));
    }

    private static String serial(java.security.cert.X509Certificate c) {
      return c.getSerialNumber().toString(16).toUpperCase(java.util.Locale.ROOT);
    }
  }

  @Command(name = "self-signed", mixinStandardHelpOptions = true,
      description = "A key and a self-signed certificate, no CA (openssl req -new -x509 -nodes).")
  static final class SelfSignedCmd extends Base {
    @Mixin
    Leaf leaf;

    @Override
    void run() throws PkiException, IOException {
      Issued issued = SelfSigned.create(dir.open(), leaf.cn, leaf.sans, KeySpec.parse(leaf.key), leaf.days, leaf.force);
      report(issued, Profile.SELF_SIGNED);
    }
  }

  @Command(name = "csr", mixinStandardHelpOptions = true,
      description = "A key and a certificate signing request for an outside CA (CA.pl -newreq).")
  static final class Csr extends Base {
    @Option(names = "--subject", paramLabel = "DN", description = "Full subject, e.g. '/O=Example/CN=mail.example.com'.")
    String subject;

    @Option(names = "--cn", description = "Common name, when no --subject is given.")
    String cn;

    @Option(names = "--san", paramLabel = "NAMES", defaultValue = "", description = "More names, comma-separated.")
    String sans;

    @Option(names = "--key", defaultValue = "ec:p256", paramLabel = "TYPE",
        description = "rsa:2048, rsa:3072, rsa:4096, ec:p256 or ec:p384 (default: ${DEFAULT-VALUE}).")
    String key;

    @Option(names = "--force", description = "Replace the key of a name that has one already.")
    boolean force;

    @Override
    void run() throws PkiException, IOException {
      if ((subject == null) == (cn == null)) {
        throw new PkiException("csr: give either --subject or --cn");
      }
      PkiDirectory d = dir.open();
      var name = subject != null ? DistinguishedNames.parse(subject) : DistinguishedNames.commonName(cn);
      Path csr = CertificateRequests.write(d, name, sans, KeySpec.parse(key), force);
      wrote(csr, "certificate signing request: send it to the CA");
      wrote(d.key(PkiDirectory.fileName(DistinguishedNames.commonNameOf(name))), "private key, mode 0600");
    }
  }

  @Command(name = "sign", mixinStandardHelpOptions = true, description = "Sign a CSR with our CA (CA.pl -sign).")
  static final class Sign extends WithCa {
    @Parameters(paramLabel = "CSR", description = "The PEM certificate signing request.")
    Path csr;

    @Option(names = "--profile", defaultValue = "server",
        description = "server, client or node (default: ${DEFAULT-VALUE}).")
    String profile;

    @Option(names = "--days", defaultValue = "365", description = "Validity in days (default: ${DEFAULT-VALUE}).")
    int days;

    @Override
    void run() throws PkiException, IOException {
      Profile p = Profile.leaf(profile);
      Issued issued = openCa().sign(csr, p, days);
      report(issued, p);
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true,
      description = "Revoke a certificate the CA issued, and write a new CRL.")
  static final class Revoke extends WithCa {
    @Parameters(paramLabel = "CERT", description = "The certificate's PEM file.")
    Path cert;

    @Option(names = "--crl-days", defaultValue = "30",
        description = "Days until the new CRL's next update (default: ${DEFAULT-VALUE}).")
    int crlDays;

    @Override
    void run() throws PkiException, IOException {
      PkiDirectory d = dir.open();
      var revoked = openCa().revoke(cert, crlDays);
      System.out.println("revoked " + revoked.getSubjectX500Principal().getName() + " (serial "
          + revoked.getSerialNumber().toString(16).toUpperCase(java.util.Locale.ROOT) + ")");
      wrote(d.crl(), "CRL, next update in " + crlDays + " days");
      config("tls.crl_file = " + d.crl());
    }
  }

  @Command(name = "crl", mixinStandardHelpOptions = true,
      description = "Write a fresh CRL (run it again before its next update).")
  static final class Crl extends WithCa {
    @Option(names = "--days", defaultValue = "30", description = "Days until the next update (default: ${DEFAULT-VALUE}).")
    int days;

    @Override
    void run() throws PkiException, IOException {
      PkiDirectory d = dir.open();
      var crl = openCa().writeCrl(days);
      wrote(d.crl(), "CRL, " + (crl.getRevokedCertificates() == null ? 0 : crl.getRevokedCertificates().size())
          + " revoked, next update " + crl.getNextUpdate().toInstant());
      config("tls.crl_file = " + d.crl());
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true,
      description = "Describe a certificate, chain, CSR, CRL or key file (a short openssl x509 -text).")
  static final class Show extends Base {
    @Parameters(paramLabel = "FILE")
    Path file;

    @Override
    void run() throws PkiException {
      CertificateReport.describe(file, Instant.now()).forEach(System.out::println);
    }
  }

  static void report(Issued issued, Profile profile) {
    boolean chain = !issued.chainFile().equals(issued.certificateFile());
    wrote(issued.certificateFile(), profile + " certificate, valid until " + issued.certificate().getNotAfter().toInstant());
    if (chain) {
      wrote(issued.chainFile(), "the certificate, then the CA");
    }
    if (issued.keyFile() != null) {
      wrote(issued.keyFile(), "private key, mode 0600");
    }
    System.out.println("SHA-256 fingerprint: " + Fingerprints.sha256(issued.certificate()));
    if (profile == Profile.CLIENT) {
      System.out.println("for the client: certificate " + issued.chainFile()
          + (issued.keyFile() == null ? "" : ", key " + issued.keyFile()));
    } else if (issued.keyFile() != null) {
      config("tls.cert_chain = " + issued.chainFile(), "tls.key = " + issued.keyFile());
    } else {
      config("tls.cert_chain = " + issued.chainFile(), "tls.key = <the key the CSR was made with>");
    }
  }

  static void wrote(Path file, String what) {
    System.out.println("wrote " + file + " (" + what + ")");
  }

  static void config(String... lines) {
    System.out.println("configuration:");
    for (String l : lines) {
      System.out.println("  " + l);
    }
  }
}
