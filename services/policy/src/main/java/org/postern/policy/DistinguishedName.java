package org.postern.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * A certificate's subject or issuer name, as the keys of {@code CERTSUBJECT:} and
 * {@code CERTISSUER:} entries and the {@code CS:}/{@code CI:} requirements write it.
 *
 * <p>Two spellings are accepted. sendmail's: OpenSSL's one-line form, most significant part
 * first, with sendmail's xtext encoding of spaces and other specials as {@code +HH}
 * ({@code /C=US/O=Example/CN=Example+20Mail+20CA}). And RFC 2253, least significant first
 * ({@code CN=Example Mail CA,O=Example,C=US}), which is how Postern's TLS facts carry the names.
 * Both become the same list of {@code TYPE=value} parts; attribute types compare exactly,
 * values without regard to case, as X.500's caseIgnoreMatch does.
 */
public final class DistinguishedName {

  /** TYPE=value, most significant first, as written. */
  private final List<String> parts;
  /** The same, values lower-cased: what equality compares. */
  private final List<String> key;
  private final String text;

  private DistinguishedName(List<String> parts, String text) {
    this.parts = List.copyOf(parts);
    this.key = parts.stream().map(p -> p.toLowerCase(Locale.ROOT)).toList();
    this.text = text;
  }

  /** RFC 2253's spelling (least significant first), as TLS facts carry names. */
  public String rfc2253() {
    StringBuilder sb = new StringBuilder();
    for (int i = parts.size() - 1; i >= 0; i--) {
      String p = parts.get(i);
      int eq = p.indexOf('=');
      sb.append(sb.length() == 0 ? "" : ",").append(p, 0, eq + 1).append(Rdn.escapeValue(p.substring(eq + 1)));
    }
    return sb.toString();
  }

  /** The first CN's value, or "". */
  public String commonName() {
    for (int i = parts.size() - 1; i >= 0; i--) {
      if (parts.get(i).startsWith("CN=")) {
        return parts.get(i).substring(3);
      }
    }
    return "";
  }

  /** Parses either spelling; throws IllegalArgumentException naming what is wrong. */
  public static DistinguishedName parse(String text) {
    String t = text.strip();
    if (t.isEmpty()) {
      throw new IllegalArgumentException("empty distinguished name");
    }
    return new DistinguishedName(t.startsWith("/") ? slashForm(t) : rfc2253(t), t);
  }

  /** Parses what a TLS session reports, or null when it is empty or malformed (it then matches nothing). */
  static DistinguishedName ofSession(String rfc2253) {
    if (rfc2253 == null || rfc2253.isEmpty()) {
      return null;
    }
    try {
      return new DistinguishedName(rfc2253(rfc2253), rfc2253);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** Whether a session's RFC 2253 name is this one. */
  public boolean matches(String sessionDn) {
    DistinguishedName other = ofSession(sessionDn);
    return equals(other);
  }

  private static List<String> slashForm(String t) {
    List<String> out = new ArrayList<>();
    for (String part : t.substring(1).split("/")) {
      if (part.isEmpty()) {
        continue; // sendmail writes a trailing slash
      }
      int eq = part.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("expected TYPE=value parts in '" + t + "', got '" + part + "'");
      }
      out.add(part(part.substring(0, eq), xtextDecode(part.substring(eq + 1), t)));
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("empty distinguished name '" + t + "'");
    }
    return out;
  }

  private static List<String> rfc2253(String t) {
    List<Rdn> rdns;
    try {
      rdns = new LdapName(t).getRdns();
    } catch (InvalidNameException | IllegalArgumentException e) {
      throw new IllegalArgumentException("not a distinguished name: '" + t + "'");
    }
    if (rdns.isEmpty()) {
      throw new IllegalArgumentException("empty distinguished name '" + t + "'");
    }
    List<String> out = new ArrayList<>();
    // LdapName lists the most significant RDN first, as the slash form does.
    for (Rdn rdn : rdns) {
      Object v = rdn.getValue();
      out.add(part(rdn.getType(), v instanceof String s ? s : rdn.toString()));
    }
    return out;
  }

  private static String part(String type, String value) {
    String ty = type.strip().toUpperCase(Locale.ROOT);
    if (ty.equals("1.2.840.113549.1.9.1") || ty.equals("E")) {
      ty = "EMAILADDRESS";
    }
    return ty + "=" + value.strip();
  }

  /** sendmail's xtext: {@code +HH} stands for the octet HH. */
  private static String xtextDecode(String v, String whole) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c == '+') {
        if (i + 3 > v.length()) {
          throw new IllegalArgumentException("bad +HH escape in '" + whole + "'");
        }
        try {
          sb.append((char) Integer.parseInt(v.substring(i + 1, i + 3), 16));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("bad +HH escape in '" + whole + "'");
        }
        i += 2;
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DistinguishedName d && d.key.equals(key);
  }

  @Override
  public int hashCode() {
    return key.hashCode();
  }

  /** As it was written. */
  @Override
  public String toString() {
    return text;
  }
}
