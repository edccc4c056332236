package org.postern.pki;

import java.util.Locale;
import java.util.Map;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;

/**
 * Subjects written the way {@code openssl req -subj} takes them: {@code /C=US/O=Example/CN=Example
 * Mail CA}, attributes in order, {@code \/} for a slash inside a value.
 */
public final class DistinguishedNames {

  private static final Map<String, ASN1ObjectIdentifier> ATTRIBUTES = Map.ofEntries(
      Map.entry("C", BCStyle.C), Map.entry("ST", BCStyle.ST), Map.entry("L", BCStyle.L),
      Map.entry("O", BCStyle.O), Map.entry("OU", BCStyle.OU), Map.entry("CN", BCStyle.CN),
      Map.entry("EMAILADDRESS", BCStyle.EmailAddress), Map.entry("DC", BCStyle.DC),
      Map.entry("SERIALNUMBER", BCStyle.SERIALNUMBER), Map.entry("STREET", BCStyle.STREET));

  private DistinguishedNames() {}

  /**
   * @throws PkiException naming the part that is wrong: no leading slash, a part without '=', an
   *     unknown attribute, an empty value, a country that is not two letters, or no CN at all
   */
  public static X500Name parse(String subject) throws PkiException {
    String s = subject.strip();
    if (!s.startsWith("/")) {
      throw new PkiException("--subject: '" + subject + "' must start with '/', e.g. /C=US/O=Example/CN=Example Mail CA");
    }
    X500NameBuilder b = new X500NameBuilder(BCStyle.INSTANCE);
    boolean cn = false;
    StringBuilder part = new StringBuilder();
    for (int i = 1; i <= s.length(); i++) {
      char c = i < s.length() ? s.charAt(i) : '/';
      if (c == '\\' && i + 1 < s.length()) {
        part.append(s.charAt(++i));
      } else if (c == '/') {
        cn |= add(b, part.toString(), subject);
        part.setLength(0);
      } else {
        part.append(c);
      }
    }
    if (!cn) {
      throw new PkiException("--subject: '" + subject + "' has no CN=...");
    }
    return b.build();
  }

  /** A subject of one common name. */
  public static X500Name commonName(String cn) throws PkiException {
    if (cn == null || cn.isBlank()) {
      throw new PkiException("--cn: empty common name");
    }
    return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, cn.strip()).build();
  }

  /** Whether it added the CN. */
  private static boolean add(X500NameBuilder b, String part, String subject) throws PkiException {
    int eq = part.indexOf('=');
    if (eq <= 0) {
      throw new PkiException("--subject: '" + part + "' in '" + subject + "' is not KEY=value");
    }
    String key = part.substring(0, eq).strip().toUpperCase(Locale.ROOT);
    String value = part.substring(eq + 1).strip();
    ASN1ObjectIdentifier oid = ATTRIBUTES.get(key);
    if (oid == null) {
      throw new PkiException("--subject: unknown attribute '" + part.substring(0, eq).strip() + "' in '" + subject
          + "' (known: C, ST, L, O, OU, CN, emailAddress, DC, serialNumber, street)");
    }
    if (value.isEmpty()) {
      throw new PkiException("--subject: " + key + " has an empty value in '" + subject + "'");
    }
    if (oid.equals(BCStyle.C) && !value.matches("[A-Za-z]{2}")) {
      throw new PkiException("--subject: C must be a two-letter country code, got '" + value + "'");
    }
    b.addRDN(oid, value);
    return oid.equals(BCStyle.CN);
  }

  /** The first CN of a name, or "" when it has none. */
  public static String commonNameOf(X500Name name) {
    var rdns = name.getRDNs(BCStyle.CN);
    return rdns.length == 0 ? "" : rdns[0].getFirst().getValue().toString();
  }
}
