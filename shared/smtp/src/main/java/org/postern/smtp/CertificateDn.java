package org.postern.smtp;

import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.naming.InvalidNameException;
import javax.naming.directory.Attribute;
import javax.naming.directory.Attributes;
import javax.naming.NamingEnumeration;
import javax.naming.NamingException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * A certificate name as sendmail writes {@code ${cert_subject}} and {@code ${cert_issuer}}:
 * OpenSSL's one-line form, most significant part first ({@code /C=US/O=Example/CN=Mail CA}),
 * xtext-encoded so that a space and the other specials become {@code +HH}
 * ({@code /C=US/O=Example/CN=Mail+20CA}). That is the spelling of {@code CERTSUBJECT:} and
 * {@code CERTISSUER:} keys, so an operator can copy a name from the log into the access map.
 */
public final class CertificateDn {

  private CertificateDn() {}

  /**
   * @param rfc2253 a name as {@link TlsFacts} carries it (RFC 2253, least significant first)
   * @return sendmail's spelling, or "" for an empty or unreadable name
   */
  public static String sendmail(String rfc2253) {
    if (rfc2253 == null || rfc2253.isEmpty()) {
      return "";
    }
    List<Rdn> rdns;
    try {
      rdns = new LdapName(rfc2253).getRdns();
    } catch (InvalidNameException | IllegalArgumentException e) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    // LdapName lists the most significant RDN first, as OpenSSL's one-line form does.
    for (Rdn rdn : rdns) {
      sb.append('/');
      Attributes attrs = rdn.toAttributes();
      boolean first = true;
      try {
        for (NamingEnumeration<? extends Attribute> e = attrs.getAll(); e.hasMore(); ) {
          Attribute a = e.next();
          sb.append(first ? "" : "+").append(type(a.getID())).append('=').append(xtext(value(a.get())));
          first = false;
        }
      } catch (NamingException e) {
        return "";
      }
    }
    return sb.toString();
  }

  /**
   * An attribute's value: RFC 2253 writes values of types without a keyword (emailAddress) as
   * {@code #} and their DER encoding, which for the string types is a tag, a length and the text.
   */
  private static String value(Object v) {
    if (v instanceof byte[] der && der.length >= 2 && (der[1] & 0x80) == 0 && der[1] == der.length - 2) {
      return new String(der, 2, der.length - 2, StandardCharsets.UTF_8);
    }
    return String.valueOf(v);
  }

  /** OpenSSL's short names where RFC 2253 writes an OID. */
  private static String type(String id) {
    return switch (id) {
      case "1.2.840.113549.1.9.1" -> "emailAddress";
      case "2.5.4.5" -> "serialNumber";
      case "STREET" -> "street";
      default -> id;
    };
  }

  /**
   * sendmail's xtextify: octets outside {@code !}..{@code ~}, and {@code +}, {@code \},
   * {@code (}, {@code <}, {@code >}, {@code "} and {@code )}, become {@code +HH}; {@code =} and
   * {@code /} stay as they are, as in sendmail's log.
   */
  static String xtext(String value) {
    StringBuilder sb = new StringBuilder();
    for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c < '!' || c > '~' || "+\\(<>\")".indexOf(c) >= 0) {
        sb.append('+').append(String.format("%02X", c));
      } else {
        sb.append((char) c);
      }
    }
    return sb.toString();
  }
}
