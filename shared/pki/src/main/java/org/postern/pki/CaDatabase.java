package org.postern.pki;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The CA's record of what it issued and revoked, as CA.pl keeps {@code index.txt}, in a format of
 * our own: {@code index.tsv}, one certificate a line, tab-separated, with a header comment.
 *
 * <pre>
 * # status  serial  not-after  revoked-at  profile  subject
 * V  4F1C...  2026-05-01T12:00:00Z  -  server  CN=mail.example.com
 * R  61A0...  2026-05-01T12:00:00Z  2025-06-02T08:30:00Z  client  CN=stolen-laptop.example.net
 * </pre>
 *
 * <p>The CRL is built from the revoked lines; {@code crlnumber} holds the next CRL number. Not
 * thread-safe: one command at a time owns the directory.
 */
final class CaDatabase {

  static final String HEADER = "# postern CA index: status (V valid, R revoked)\tserial (hex)\tnot after\trevoked at"
      + "\tprofile\tsubject\n";

  /**
   * One issued certificate.
   *
   * @param revokedAt null while valid
   */
  record Entry(BigInteger serial, Instant notAfter, Instant revokedAt, String profile, String subject) {
    boolean revoked() {
      return revokedAt != null;
    }

    String line() {
      return (revoked() ? "R" : "V") + "\t" + serial.toString(16).toUpperCase(Locale.ROOT) + "\t" + notAfter + "\t"
          + (revoked() ? revokedAt.toString() : "-") + "\t" + profile + "\t" + subject.replace('\t', ' ') + "\n";
    }
  }

  private final Path index;
  private final Path crlNumber;
  private final List<Entry> entries;

  private CaDatabase(Path index, Path crlNumber, List<Entry> entries) {
    this.index = index;
    this.crlNumber = crlNumber;
    this.entries = entries;
  }

  static CaDatabase create(Path index, Path crlNumber) throws IOException {
    PkiDirectory.writePublic(index, HEADER);
    PkiDirectory.writePublic(crlNumber, "1\n");
    return new CaDatabase(index, crlNumber, new ArrayList<>());
  }

  static CaDatabase open(Path index, Path crlNumber) throws PkiException {
    List<Entry> entries = new ArrayList<>();
    List<String> lines;
    try {
      lines = Files.readAllLines(index, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new PkiException(index + ": cannot read the CA index: " + Pem.oneLine(e));
    }
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.split("\t", -1);
      try {
        if (f.length != 6 || !(f[0].equals("V") || f[0].equals("R"))) {
          throw new IllegalArgumentException("expected 6 tab-separated fields starting with V or R");
        }
        entries.add(new Entry(new BigInteger(f[1], 16), Instant.parse(f[2]),
            f[0].equals("R") ? Instant.parse(f[3]) : null, f[4], f[5]));
      } catch (RuntimeException e) {
        throw new PkiException(index + ":" + (i + 1) + ": damaged CA index line: " + Pem.oneLine(e));
      }
    }
    return new CaDatabase(index, crlNumber, entries);
  }

  List<Entry> entries() {
    return List.copyOf(entries);
  }

  Optional<Entry> find(BigInteger serial) {
    return entries.stream().filter(e -> e.serial().equals(serial)).findFirst();
  }

  boolean contains(BigInteger serial) {
    return find(serial).isPresent();
  }

  void add(Entry e) throws IOException {
    entries.add(e);
    save();
  }

  /** Marks {@code serial} revoked; the caller has checked it is known and valid. */
  void revoke(BigInteger serial, Instant when) throws IOException {
    for (int i = 0; i < entries.size(); i++) {
      Entry e = entries.get(i);
      if (e.serial().equals(serial)) {
        entries.set(i, new Entry(e.serial(), e.notAfter(), when, e.profile(), e.subject()));
      }
    }
    save();
  }

  /** The number for the next CRL, advanced on disk so no two CRLs share one. */
  BigInteger takeCrlNumber() throws PkiException, IOException {
    BigInteger n;
    try {
      n = new BigInteger(Files.readString(crlNumber, StandardCharsets.US_ASCII).strip());
    } catch (IOException | NumberFormatException e) {
      throw new PkiException(crlNumber + ": cannot read the CRL number: " + Pem.oneLine(e));
    }
    PkiDirectory.writePublic(crlNumber, n.add(BigInteger.ONE) + "\n");
    return n;
  }

  private void save() throws IOException {
    StringBuilder sb = new StringBuilder(HEADER);
    entries.forEach(e -> sb.append(e.line()));
    PkiDirectory.writePublic(index, sb.toString());
  }
}
